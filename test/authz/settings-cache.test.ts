import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SettingsCache } from '../../src/authz/settings-cache.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../src/core/model.ts';
import type { SettingsStore } from '../../src/store/store.ts';

/** A settings store whose reads are answered one by one, when the test says so. */
function heldStore() {
  const pending: ((settings: Settings) => void)[] = [];
  const store = {
    getSettings: () => new Promise<Settings>((resolve) => pending.push(resolve)),
  } as unknown as SettingsStore;
  return { store, pending };
}

describe('settings cache', () => {
  it('the requests that find the settings stale while they are being read share that one read', async () => {
    const clock = new ManualClock();
    const { store, pending } = heldStore();
    const cache = new SettingsCache(store, clock, 5);
    const first = Promise.all([cache.get(), cache.get(), cache.get()]);
    assert.equal(pending.length, 1);
    pending.shift()!({ ...DEFAULT_SETTINGS, accessTokenTtl: 60 });
    assert.deepEqual((await first).map((settings) => settings.accessTokenTtl), [60, 60, 60]);
    // Fresh: no read. Stale again: one read for all.
    await cache.get();
    assert.equal(pending.length, 0);
    clock.advance(5);
    const again = Promise.all([cache.get(), cache.get()]);
    assert.equal(pending.length, 1);
    pending.shift()!({ ...DEFAULT_SETTINGS, accessTokenTtl: 120 });
    assert.deepEqual((await again).map((settings) => settings.accessTokenTtl), [120, 120]);
  });

  it('a change made while a read is in flight is not hidden by that read', async () => {
    const { store, pending } = heldStore();
    const cache = new SettingsCache(store, new ManualClock(), 5);
    const before = cache.get();
    cache.invalidate();
    const after = cache.get();
    assert.equal(pending.length, 2, 'the get after the change reads again');
    pending.shift()!({ ...DEFAULT_SETTINGS, accessTokenTtl: 60 });
    pending.shift()!({ ...DEFAULT_SETTINGS, accessTokenTtl: 120 });
    assert.equal((await before).accessTokenTtl, 60);
    assert.equal((await after).accessTokenTtl, 120);
    assert.equal((await cache.get()).accessTokenTtl, 120, 'the read begun before the change is not remembered');
    assert.equal(pending.length, 0);
  });
});
