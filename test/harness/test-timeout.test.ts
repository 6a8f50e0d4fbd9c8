import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { WatchedProcess } from '../helpers/processes.ts';

const REPORTER = new URL('../../scripts/in-flight-reporter.mjs', import.meta.url).href;
const HANGS = new URL('fixtures/hangs.mjs', import.meta.url).pathname;

describe('a test file that hangs (scripts/test.mjs)', () => {
  it('fails at the file timeout, and the reporter names the test that was running', async () => {
    const run = new WatchedProcess(
      spawn(
        process.execPath,
        ['--test', '--test-timeout=1000', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${REPORTER}`, '--test-reporter-destination=stderr', HANGS],
        // Without the variable that makes a test file report to its runner: this is a runner of its own.
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
      ),
      'node --test on a hanging file',
    );
    assert.equal(await run.finish(), 1);
    assert.match(run.stdout, /test timed out after 1000ms/);
    assert.match(run.stderr, /timed out while these were running:\n {2}a suite \(.*hangs\.mjs:4\)\n {4}a test that hangs \(.*hangs\.mjs:7\)\n/);
    assert.doesNotMatch(run.stderr, /a quick test/, 'a finished test is not named');
  });
});
