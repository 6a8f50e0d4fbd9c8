#!/usr/bin/env node
// Runs every *.test.ts under test/ with node's test runner through tsx.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'helpers' ? [] : find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

// A test file that has not finished after 5 min fails (ten times the slowest file on a loaded
// 2-core machine), so that a hung test cannot hang the run. On Node 20 --test-timeout bounds whole
// files, not tests; in-flight-reporter.mjs names the tests a timed-out file was still running.
const FILE_TIMEOUT_MS = 300_000;

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find('test').sort();
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test', '--test-concurrency=2', `--test-timeout=${FILE_TIMEOUT_MS}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${new URL('in-flight-reporter.mjs', import.meta.url).href}`, '--test-reporter-destination=stderr',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
