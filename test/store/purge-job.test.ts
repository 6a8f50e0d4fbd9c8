import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../src/core/clock.ts';
import { startPurgeJob } from '../../src/store/purge-job.ts';
import type { Store } from '../../src/store/store.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { postForm, startTestServer } from '../helpers/server.ts';
import { authorizePath, redirectParams, TestBrowser } from '../helpers/sign-in.ts';

/** A store whose purge answers from a script, and records each call. */
function scriptedStore(results: number[], gate?: Promise<void>) {
  const calls: { now: number; batchSize: number }[] = [];
  let called!: () => void;
  const firstCall = new Promise<void>((resolve) => (called = resolve));
  const store = {
    async purgeExpired(now: number, batchSize: number) {
      calls.push({ now, batchSize });
      called();
      if (gate) await gate;
      return results.shift() ?? 0;
    },
    async purgeAuthorizationCodes() {
      return 0;
    },
  } as unknown as Store;
  return { store, calls, firstCall };
}

const silent = pino({ level: 'silent' });
const HOUR = 3_600_000;

describe('background purge job', () => {
  it('runs batches until one comes back short, with the clock of the moment', async () => {
    const clock = new ManualClock(1000);
    const { store, calls } = scriptedStore([5, 5, 2, 5]);
    const purged: number[] = [];
    const job = startPurgeJob({ store, clock, logger: silent, intervalMs: HOUR, batchSize: 5, onPurged: (n) => purged.push(n) });
    assert.equal(await job.runOnce(), 12);
    assert.deepEqual(calls, [
      { now: 1000, batchSize: 5 },
      { now: 1000, batchSize: 5 },
      { now: 1000, batchSize: 5 },
    ]);
    assert.deepEqual(purged, [5, 5, 2]);
    await job.stop();
  });

  it('stops after the per-run cap of batches, however much is left', async () => {
    const { store, calls } = scriptedStore(Array(10).fill(3));
    const job = startPurgeJob({ store, clock: new ManualClock(), logger: silent, intervalMs: HOUR, batchSize: 3, maxBatchesPerRun: 4 });
    assert.equal(await job.runOnce(), 12);
    assert.equal(calls.length, 4);
    await job.stop();
  });

  it('runs on its own timer, and stop() waits for the batch in progress', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { store, calls, firstCall } = scriptedStore([1], gate);
    // The job's timer is unref'd (it must not keep a server alive); hold the loop open meanwhile.
    const keepAlive = setInterval(() => {}, 1000);
    const job = startPurgeJob({ store, clock: new ManualClock(), logger: silent, intervalMs: 1, batchSize: 10 });
    await firstCall;
    clearInterval(keepAlive);
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false);
    open();
    await stopping;
    assert.equal(calls.length, 1);
  });

  it('in the app: expired tokens disappear from the store', async () => {
    const server = await startTestServer({ env: { PORTCULLIS_PURGE_INTERVAL: '3600' } });
    try {
      const app = await server.client({ grants: ['client_credentials'], accessTokenTtl: 60 });
      const issued = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [app.id, app.secret!] });
      assert.equal(issued.status, 200);
      const now = () => server.clock.nowSeconds();
      assert.equal((await server.app.store.listTokens({ clientId: app.id }, now())).length, 1);
      assert.ok(server.app.purge, 'the purge job runs when purge_interval is set');
      assert.equal(await server.app.purge.runOnce(), 0, 'a live token stays');
      server.clock.advance(61);
      assert.equal(await server.app.purge.runOnce(), 1);
      assert.equal((await server.app.store.listTokens({ clientId: app.id }, now())).length, 0);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /^portcullis_tokens_purged_total 1$/m);
    } finally {
      await server.close();
    }
  });

  it('in the app: authorization codes go an hour after they expire, not before (a late replay still revokes)', async () => {
    const server = await startTestServer({ env: { PORTCULLIS_PURGE_INTERVAL: '3600' } });
    try {
      await server.user('alice', 'alice-password-1');
      const app = await server.client({ grants: ['authorization_code'], redirectUris: ['https://app.example/cb'], consent: 'skip' });
      const browser = new TestBrowser(server.url);
      const page = await browser.get(authorizePath({ client_id: app.id, redirect_uri: 'https://app.example/cb', response_type: 'code' }));
      const answer = await browser.submit(page, { username: 'alice', password: 'alice-password-1' });
      const hash = hashSecret(redirectParams(answer.location).code!);
      server.clock.advance(60 + 3599);
      await server.app.purge!.runOnce();
      assert.ok(await server.app.store.findAuthorizationCode(hash), 'kept within the hour after expiry');
      server.clock.advance(1);
      await server.app.purge!.runOnce();
      assert.equal(await server.app.store.findAuthorizationCode(hash), undefined);
    } finally {
      await server.close();
    }
  });
});
