import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, read, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashOnThreadPool } from '../../src/core/password-hash.ts';

/**
 * Occupies every thread of libuv's pool in this process (the server's, for a server started by
 * startTestServer) with work counted as one password hash in flight, as a burst of argon2id
 * verifications would, until `release()`. Each thread blocks reading one byte from a FIFO that
 * nothing writes to until then; any job queued on the pool meanwhile (a signature, a WebCrypto
 * call of `jose`) waits for the release. Linux (`mkfifo`).
 */
export function holdThreadPool(): { release(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pool-'));
  const fifo = join(dir, 'hold');
  execFileSync('mkfifo', [fifo]);
  // Read and write: opening never blocks, and the FIFO always has a writer, so reads wait for bytes.
  const fd = openSync(fifo, constants.O_RDWR);
  // libuv reads the size once, from the environment, at the pool's first use; 4 when unset.
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const readOne = () =>
    new Promise<void>((resolve, reject) => read(fd, Buffer.alloc(1), 0, 1, null, (error) => (error ? reject(error) : resolve())));
  const held = hashOnThreadPool(() => Promise.all(Array.from({ length: threads }, readOne)));
  return {
    async release() {
      writeSync(fd, Buffer.alloc(threads));
      await held;
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
