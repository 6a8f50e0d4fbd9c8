import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_THROTTLE, LoginThrottle, Throttled } from '../../src/authz/throttle.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const settings = {
  ...DEFAULT_THROTTLE,
  userIp: { failures: 3, windowSeconds: 60, blockSeconds: 30 },
  clientIp: { failures: 3, windowSeconds: 60, blockSeconds: 30 },
};

/** A request that arrives after another process's write is handled in a later turn of the event loop. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The SQLite counters: writes share the store's group commit and client checks remember clean keys,
 * so these pin down that neither changes what the throttle decides (docs/security.md).
 */
describe('throttle counters in the SQLite file', () => {
  let dir: string;
  let stores: SqliteStore[];
  let here: LoginThrottle;
  let elsewhere: LoginThrottle;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-throttle-'));
    // Two connections to one file: this server, and another process (the CLI, a second instance).
    stores = [new SqliteStore(join(dir, 'p.db')), new SqliteStore(join(dir, 'p.db'))];
    for (const store of stores) await store.migrate();
    here = new LoginThrottle(settings, stores[0]!.throttleCounters(), async () => {});
    elsewhere = new LoginThrottle(settings, stores[1]!.throttleCounters(), async () => {});
  });
  after(async () => {
    for (const store of stores) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a parallel burst of password attempts cannot slip past the budget', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => here.beforePassword('burst', '10.7.7.7')));
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, settings.userIp.failures);
    assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled' || outcome.reason instanceof Throttled));
  });

  test('successes refund their reservations: they never spend the budget', async () => {
    for (let i = 0; i < 10; i++) {
      await here.beforePassword('regular', '10.8.8.8');
      await here.passwordSucceeded('regular', '10.8.8.8');
    }
  });

  test('client failures counted here block at once, though the clean check before them was remembered', async () => {
    await here.beforeClientSecret('client-a', '10.1.1.1');
    await here.beforeClientSecret('client-a', '10.1.1.1');
    for (let i = 0; i < settings.clientIp.failures; i++) await here.clientFailed('client-a', '10.1.1.1');
    await assert.rejects(here.beforeClientSecret('client-a', '10.1.1.1'), Throttled);
    await here.beforeClientSecret('client-a', '10.1.1.2');
  });

  test('client failures counted by another process block here from the next request on', async () => {
    await here.beforeClientSecret('client-b', '10.2.2.2');
    for (let i = 0; i < settings.clientIp.failures; i++) await elsewhere.clientFailed('client-b', '10.2.2.2');
    await nextTurn();
    await assert.rejects(here.beforeClientSecret('client-b', '10.2.2.2'), Throttled);
  });

  test('a check that raced a failure does not remember the key as clean', async () => {
    // The check reads, then awaits; the failures land in between, on this connection.
    const check = here.beforeClientSecret('client-c', '10.3.3.3');
    const failures = Array.from({ length: settings.clientIp.failures }, () => here.clientFailed('client-c', '10.3.3.3'));
    await Promise.all([check, ...failures]);
    await assert.rejects(here.beforeClientSecret('client-c', '10.3.3.3'), Throttled);
  });
});
