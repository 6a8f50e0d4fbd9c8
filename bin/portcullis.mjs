#!/usr/bin/env node
// Runs the bundle that `npm run build` makes (build/server/portcullis.mjs) when it is up to date,
// else the TypeScript sources through tsx's loader: a stale bundle never runs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// argon2id runs on libuv's thread pool, which is sized at its first use. One thread per core is all
// the hashing a machine can do; libuv's default of 4 on a 2-core machine only adds threads that
// hold 19 MiB each while they wait for a core, and crowd the event loop. An operator's setting wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()));

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'build/server/portcullis.mjs');

/** The newest modification time of any file under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

let main;
if (existsSync(bundle) && statSync(bundle).mtimeMs >= newest(join(root, 'src'))) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
const code = await main(process.argv);
if (code !== 0) process.exitCode = code;
