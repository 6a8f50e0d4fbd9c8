import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as errors from '../../src/core/errors.ts';
import { ERROR_CATALOGUE, type ErrorCode, OAuthError } from '../../src/core/errors.ts';

/** The table of docs/errors.md: code to the statuses its row gives. */
function documentedCodes(): Map<string, number[]> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const row = /^\| `([a-z_]+)` \| ([^|]+) \|/.exec(line);
    if (row) rows.set(row[1]!, [...row[2]!.matchAll(/\b\d{3}\b/g)].map((match) => Number(match[0])));
  }
  return rows;
}

const codes = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

describe('the error catalogue and docs/errors.md', () => {
  test('every code in the catalogue is documented, with the same statuses', () => {
    const documented = documentedCodes();
    for (const code of codes) {
      const entry: { status: number; alsoStatus?: readonly number[] } = ERROR_CATALOGUE[code];
      assert.ok(documented.has(code), `${code} is missing from docs/errors.md`);
      assert.deepEqual(documented.get(code), [entry.status, ...(entry.alsoStatus ?? [])], code);
    }
  });

  test('every code documented exists in the catalogue', () => {
    const documented = [...documentedCodes().keys()];
    assert.ok(documented.length > 0, 'the table was found');
    assert.deepEqual(documented.filter((code) => !(code in ERROR_CATALOGUE)), []);
  });
});

describe('classes generated from the catalogue', () => {
  const classes = Object.entries(errors).filter(
    (entry): entry is [string, new (description?: string, options?: errors.ErrorOptions) => OAuthError] =>
      typeof entry[1] === 'function' && entry[1].prototype instanceof OAuthError,
  );

  test('one class per code, named after it, with the status of its entry', () => {
    assert.equal(classes.length, codes.length);
    for (const [exported, ErrorClass] of classes) {
      const error = new ErrorClass();
      assert.ok(error instanceof OAuthError);
      assert.equal(ErrorClass.name, exported);
      assert.equal(error.name, exported);
      assert.equal(error.status, ERROR_CATALOGUE[error.error].status, exported);
    }
    assert.deepEqual(classes.map(([, ErrorClass]) => new ErrorClass().error).sort(), [...codes].sort());
  });

  test('the body is the code, the thrower\'s text or the default one, and the field', () => {
    assert.deepEqual(new errors.AccessDenied().body, { error: 'access_denied' });
    assert.deepEqual(new errors.InvalidToken().body, { error: 'invalid_token', error_description: 'the access token is invalid, expired or revoked' });
    assert.deepEqual(new errors.InvalidRequest('name is required', { field: 'name' }).body, {
      error: 'invalid_request',
      error_description: 'name is required',
      field: 'name',
    });
    assert.equal(JSON.stringify(new errors.NotFound('no such thing')), '{"error":"not_found","error_description":"no such thing"}');
  });

  test('headers: Basic only after Basic (RFC 6749 §5.2), Bearer challenges (RFC 6750 §3), Retry-After, Allow', () => {
    assert.deepEqual(new errors.InvalidClient().headers, {});
    assert.deepEqual(new errors.InvalidClient(undefined, { viaBasic: true }).headers, { 'WWW-Authenticate': 'Basic realm="portcullis"' });
    assert.deepEqual(new errors.Unauthorized(undefined, { realm: 'portcullis' }).headers, { 'WWW-Authenticate': 'Bearer realm="portcullis"' });
    assert.deepEqual(new errors.InvalidToken().headers, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    assert.deepEqual(new errors.InsufficientScope(undefined, { realm: 'r', scope: ['a', 'b'] }).headers, {
      'WWW-Authenticate': 'Bearer realm="r", error="insufficient_scope", scope="a b"',
    });
    assert.deepEqual(new errors.TemporarilyUnavailable().headers, { 'Retry-After': '1' });
    assert.deepEqual(new errors.TooManyAttempts(undefined, { retryAfterSeconds: 0 }).headers, { 'Retry-After': '1' });
    assert.deepEqual(new errors.TooManyAttempts(undefined, { retryAfterSeconds: 30 }).headers, { 'Retry-After': '30' });
    assert.deepEqual(new errors.MethodNotAllowed(undefined, { allow: ['GET', 'HEAD'] }).headers, { Allow: 'GET, HEAD' });
  });

  test('a status other than the entry\'s is refused unless the entry lists it', () => {
    assert.equal(new errors.InvalidRequest('too large', { status: 413 }).status, 413);
    assert.throws(() => new errors.InvalidRequest('x', { status: 404 }), TypeError);
    assert.throws(() => new errors.InvalidGrant('x', { status: 413 }), TypeError);
  });

  test('an operator\'s mistake names its code; the status comes from the catalogue', () => {
    const mistake = new errors.UserError('no scope x', 'not_found');
    assert.equal(ERROR_CATALOGUE[mistake.code].status, 404);
    assert.equal(new errors.UserError('bad').code, 'invalid_request');
  });
});
