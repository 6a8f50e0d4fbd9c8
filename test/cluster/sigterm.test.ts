import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.ts';
import { Argon2Hasher } from '../../src/core/password-hash.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { createUser } from '../../src/manage/users.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';

const IN_FLIGHT = 8;

describe('portcullis serve on SIGTERM', () => {
  it('answers every request it had received, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-sigterm-'));
    const path = join(dir, 'portcullis.db');
    try {
      const store = new SqliteStore(path);
      await store.migrate();
      const { client, secret } = await registerClient(store, systemClock, { name: 'app', type: 'confidential', grants: ['password'] });
      await createUser(store, new Argon2Hasher(), systemClock, { username: 'alice', password: 'correct horse battery' });
      await store.close();

      // debug level: the server logs each request as it comes in, which tells when all have arrived.
      const server = await startServerProcess({ PORTCULLIS_DB: path, PORTCULLIS_LOG_LEVEL: 'debug' });
      const arrived = () => server.output().split('\n').filter((line) => line.includes('"url":"/oauth/token"') && line.includes('incoming request')).length;
      const answers = Array.from({ length: IN_FLIGHT }, () =>
        postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'correct horse battery' }, { basic: [client.id, secret!] }),
      );
      const deadline = Date.now() + 30_000;
      while (arrived() < IN_FLIGHT) {
        assert.ok(Date.now() < deadline, `only ${arrived()} of ${IN_FLIGHT} requests were logged as arrived`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const exitCode = server.stop();

      const statuses = (await Promise.all(answers)).map((answer) => answer.status);
      assert.deepEqual(statuses, Array(IN_FLIGHT).fill(200));
      assert.equal(await exitCode, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
