import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BindCost } from '../../src/directory/bind-cost.ts';

describe('the cost of a bind, for the stand-in of unknown and disabled users', () => {
  it('before any bind, nothing to pad', () => {
    const cost = new BindCost();
    assert.equal(cost.typical(), 0);
    assert.equal(cost.padding(3), 0);
  });

  it('is the median of recent binds: one slow outlier does not move it', () => {
    const cost = new BindCost();
    for (const ms of [10, 12, 11, 500, 9]) cost.record(ms);
    assert.equal(cost.typical(), 11);
    cost.record(13);
    assert.equal(cost.typical(), 11.5);
  });

  it('pads a stand-in that was faster up to the typical bind, and never below zero', () => {
    const cost = new BindCost();
    for (const ms of [20, 20, 20]) cost.record(ms);
    assert.equal(cost.padding(4), 16);
    assert.equal(cost.padding(25), 0);
  });

  it('forgets old binds: only the last `size` count', () => {
    const cost = new BindCost(3);
    for (const ms of [100, 100, 100, 5, 5, 5]) cost.record(ms);
    assert.equal(cost.typical(), 5);
  });

  it('ignores values that are not durations', () => {
    const cost = new BindCost();
    cost.record(Number.NaN);
    cost.record(-1);
    cost.record(Number.POSITIVE_INFINITY);
    assert.equal(cost.typical(), 0);
  });
});
