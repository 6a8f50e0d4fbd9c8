import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JwsSigner } from '../../src/core/jws.ts';
import type { SigningAlgorithm } from '../../src/core/model.ts';
import { SecretBox } from '../../src/core/secret-box.ts';
import { generateSigningKey, sealContext } from '../../src/core/signing-keys.ts';
import { option } from '../lib/micro.ts';

/**
 * CPU of one JWT access-token signature through src/core/jws.ts (docs/tokens.md "What each costs"),
 * per token, counted on the main thread (the event loop's) and on the whole process:
 * - `event loop`: `sign`, back to back (the signing tables stay in the core's caches);
 * - `event loop, cold`: `sign` after touching `--pollute` bytes of other memory each time, as a
 *   server's request does between two signatures (that time is subtracted);
 * - `thread pool`: `signOnThreadPool`, 16 at a time: what stays on the main thread, and the total.
 * Usage: tsx bench/micro/jws-sign.ts [--alg ES256] [--tokens 20000] [--pollute 2000000]
 * (UV_THREADPOOL_SIZE as `portcullis serve` sets it: one thread per core, at least 2).
 */

const alg = option('alg', 'ES256') as SigningAlgorithm;
const tokens = Number(option('tokens', '20000'));
const pollute = new Float64Array(Number(option('pollute', '2000000')) / 8);

const box = new SecretBox(randomBytes(32));
const record = await generateSigningKey(alg, box, { generation: 1, createdAt: 0, activatesAt: 0, retainPrevious: 600 });
const signer = new JwsSigner(JSON.parse(box.open(record.privateSealed, sealContext(record.kid)).toString('utf8')), alg, record.kid);
const claims = (i: number) => ({
  iss: 'http://127.0.0.1:5555',
  sub: 'bench-service-jwt',
  aud: 'http://127.0.0.1:5555',
  exp: 2_000_000_300 + i,
  iat: 2_000_000_000 + i,
  jti: '5b0f3c1e-7a0d-4c43-9d55-0f1f6c8e2a41',
  client_id: 'bench-service-jwt',
  scope: 'bench',
});

/** CPU (µs) used so far by `/proc/self/task/TID`'s thread, or the whole process. */
function cpu(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
const mainThread = () => cpu(`/proc/${process.pid}/task/${process.pid}/stat`);
const wholeProcess = () => cpu(`/proc/${process.pid}/stat`);

let sink = 0;
function touch(): void {
  for (let i = 0; i < pollute.length; i += 8) sink += (pollute[i] = pollute[i]! + 1);
}

for (let round = 1; round <= 3; round++) {
  let start = mainThread();
  for (let i = 0; i < tokens; i++) sink += signer.sign(claims(i), 'at+jwt').length;
  const hot = (mainThread() - start) / tokens;

  start = mainThread();
  for (let i = 0; i < tokens; i++) touch();
  const touching = (mainThread() - start) / tokens;
  start = mainThread();
  for (let i = 0; i < tokens; i++) {
    touch();
    sink += signer.sign(claims(i), 'at+jwt').length;
  }
  const cold = (mainThread() - start) / tokens - touching;

  start = mainThread();
  const all = wholeProcess();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < tokens) sink += (await signer.signOnThreadPool(claims(next++), 'at+jwt')).length;
    }),
  );
  const loop = (mainThread() - start) / tokens;
  const total = (wholeProcess() - all) / tokens;
  console.log(
    `round ${round} ${alg}: event loop ${hot.toFixed(1)} µs/token, event loop cold ${cold.toFixed(1)}, ` +
      `thread pool: ${loop.toFixed(1)} on the event loop, ${total.toFixed(1)} in all (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`,
  );
}
if (sink === 0) console.log('');
