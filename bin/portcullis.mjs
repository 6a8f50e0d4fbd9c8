#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: nothing to build after `npm ci`.
import { availableParallelism } from 'node:os';
import { register } from 'tsx/esm/api';

// argon2id runs on libuv's thread pool, which is sized at its first use. One thread per core is all
// the hashing a machine can do; libuv's default of 4 on a 2-core machine only adds threads that
// hold 19 MiB each while they wait for a core, and crowd the event loop. An operator's setting wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()));
register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
if (code !== 0) process.exitCode = code;
