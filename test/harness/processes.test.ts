import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { WatchedProcess } from '../helpers/processes.ts';

/** A Node process running `code`, watched. */
function node(code: string): WatchedProcess {
  return new WatchedProcess(spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] }), 'the child');
}

const never = () => new Promise<never>(() => undefined);

/** Resolves once the process has written `text` on `stream`. */
function printed(watched: WatchedProcess, stream: 'stdout' | 'stderr', text: string): Promise<void> {
  return new Promise((resolve) => {
    const look = () => {
      if (!watched[stream].includes(text)) return;
      watched.child[stream]!.off('data', look);
      resolve();
    };
    watched.child[stream]!.on('data', look);
  });
}

describe('process deadlines in the test helpers', () => {
  it('a process that never gets ready fails at the deadline, is killed, and the error ends with its stderr', async () => {
    const child = node("console.error('stuck on something'); setInterval(() => {}, 1000)");
    await printed(child, 'stderr', 'stuck on something');
    await assert.rejects(child.until('getting ready', never, 300), (error: Error) => {
      assert.match(error.message, /^the child: getting ready did not happen within 0\.3 s\n--- stderr ends:\nstuck on something/);
      return true;
    });
    assert.equal(child.child.signalCode, 'SIGKILL');
  });

  it('a process that exits before it is ready fails at once, with its exit code and stderr', async () => {
    const child = node("console.error('cannot open the database'); process.exit(3)");
    await assert.rejects(child.until('getting ready', never, 60_000), /the child: exited \(code 3\) before getting ready\n--- stderr ends:\ncannot open the database/);
  });

  it('readiness within the deadline resolves, and the process keeps running', async () => {
    const child = node("console.log('ready'); setInterval(() => {}, 1000)");
    await child.until('printing ready', () => printed(child, 'stdout', 'ready'));
    assert.equal(child.running, true);
    assert.equal(await child.stop(), null, 'ended by SIGTERM');
  });

  it('a process that ignores SIGTERM is killed at the deadline, and stop() fails', async () => {
    const child = node("process.on('SIGTERM', () => console.error('ignoring SIGTERM')); console.log('up'); setInterval(() => {}, 1000)");
    await printed(child, 'stdout', 'up');
    await assert.rejects(child.stop(300), /the child: did not exit within 0\.3 s of SIGTERM; killed\n--- stderr ends:/);
    assert.equal(child.child.signalCode, 'SIGKILL');
  });

  it('a command that does not finish is killed at the deadline', async () => {
    const child = node('setInterval(() => {}, 1000)');
    await assert.rejects(child.finish(300), /the child: did not finish within 0\.3 s; killed/);
    assert.equal(child.child.signalCode, 'SIGKILL');
  });
});
