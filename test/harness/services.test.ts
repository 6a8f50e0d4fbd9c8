import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCi, serviceDecision } from '../helpers/services.ts';

describe('suites that need PostgreSQL, Redis or Chromium', () => {
  const missing = { ok: false, problem: 'PostgreSQL at x is unreachable (ECONNREFUSED)', remedy: 'Start it.' } as const;

  it('CI is any value of CI but empty, 0 or false', () => {
    for (const value of ['1', 'true', 'yes', 'github-actions']) assert.equal(isCi({ CI: value }), true, value);
    for (const value of [undefined, '', '0', 'false', 'FALSE', ' false ']) assert.equal(isCi({ CI: value }), false, String(value));
  });

  it('run when the service is there, under CI or not', () => {
    assert.equal(serviceDecision('suite', { ok: true }, {}), 'run');
    assert.equal(serviceDecision('suite', { ok: true }, { CI: '1' }), 'run');
  });

  it('on a developer machine a missing service skips the suite, with the problem and the remedy', () => {
    assert.deepEqual(serviceDecision('suite', missing, {}), { skip: 'PostgreSQL at x is unreachable (ECONNREFUSED). Start it.' });
  });

  it('under CI a missing service fails: CI must not pass by skipping', () => {
    assert.throws(() => serviceDecision('the suite', missing, { CI: '1' }), {
      message: 'the suite: PostgreSQL at x is unreachable (ECONNREFUSED); CI must run these tests. Start it.',
    });
  });
});
