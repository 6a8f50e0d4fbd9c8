/**
 * Diagnostics only (bench/threads.ts and bench/probe.ts with --instant-hash): Portcullis in a
 * process of its own, run through tsx, with a hasher that does no work, to see what a password
 * grant costs besides the hash. Never a row of `npm run bench`. Speaks bench/targets/announce.mjs's
 * protocol: one JSON line when ready.
 */
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { PasswordHasher } from '../../src/core/password-hash.ts';
// @ts-expect-error: a plain JavaScript module of the bench, without types
import { announce } from './announce.mjs';
import { seedPortcullis } from './portcullis.ts';

const instantHasher: PasswordHasher = {
  hash: async (password) => `instant:${password}`,
  verify: async (stored, password) => stored === `instant:${password}`,
  verifyDummy: async () => undefined,
};

const seeded = await seedPortcullis({ port: 0 }, { hasher: instantHasher });
await seeded.app.server.listen({ port: 0, host: '127.0.0.1' });
seeded.info.settings = { process: 'the sources through tsx, instant hasher (diagnostics)', ...seeded.info.settings };
(announce as (message: unknown) => void)({ port: (seeded.app.server.server.address() as AddressInfo).port, info: seeded.info });
process.once('SIGTERM', () => {
  void seeded.app.close().finally(() => {
    rmSync(seeded.dir, { recursive: true, force: true });
    process.exit(0);
  });
});
