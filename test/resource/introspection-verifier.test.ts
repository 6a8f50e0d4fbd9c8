import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { IntrospectionVerifier, toVerified } from '../../src/resource/introspection-verifier.ts';
import { VerifierUnavailableError } from '../../src/resource/token-verifier.ts';

describe('IntrospectionVerifier (RFC 7662 client with a bounded cache)', () => {
  let server: Server;
  let endpoint: string;
  const calls: { authorization: string | undefined; body: string }[] = [];
  let answer: { status: number; body: unknown };
  const clock = new ManualClock(1_800_000_000);

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        calls.push({ authorization: req.headers.authorization, body });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/introspect`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    calls.length = 0;
  });

  const verifier = (cacheMaxAge: number) =>
    new IntrospectionVerifier({ endpoint, clientId: 'rs:1', clientSecret: 's&cret', cacheMaxAge, clock });

  it('authenticates with form-encoded Basic credentials and sends the token with a hint', async () => {
    answer = { status: 200, body: { active: true, client_id: 'c', username: 'alice', scope: 'a b', token_type: 'Bearer', exp: clock.nowSeconds() + 100 } };
    const result = await verifier(10).verify('tok');
    assert.deepEqual(result, { clientId: 'c', username: 'alice', scope: ['a', 'b'], expiresAt: clock.nowSeconds() + 100 });
    assert.equal(calls[0]!.authorization, `Basic ${Buffer.from('rs%3A1:s%26cret').toString('base64')}`);
    assert.equal(calls[0]!.body, 'token=tok&token_type_hint=access_token');
  });

  it('reuses an answer for at most cacheMaxAge seconds: the revocation bound', async () => {
    const v = verifier(5);
    answer = { status: 200, body: { active: true, client_id: 'c', scope: 'a', token_type: 'Bearer' } };
    await v.verify('t1');
    answer = { status: 200, body: { active: false } };
    clock.advance(4);
    assert.ok(await v.verify('t1'), 'still cached before the bound');
    assert.equal(calls.length, 1);
    clock.advance(1);
    assert.equal(await v.verify('t1'), undefined, 'asked again at the bound, and now inactive');
    assert.equal(calls.length, 2);
  });

  it('never serves a cached answer past the token exp', async () => {
    const v = verifier(60);
    answer = { status: 200, body: { active: true, client_id: 'c', scope: 'a', token_type: 'Bearer', exp: clock.nowSeconds() + 2 } };
    assert.ok(await v.verify('t2'));
    clock.advance(2);
    answer = { status: 200, body: { active: false } };
    assert.equal(await v.verify('t2'), undefined);
    assert.equal(calls.length, 2);
  });

  it('caches inactive answers too, and nothing at all with a bound of 0', async () => {
    answer = { status: 200, body: { active: false } };
    const v = verifier(30);
    await v.verify('bad');
    await v.verify('bad');
    assert.equal(calls.length, 1);
    const uncached = verifier(0);
    await uncached.verify('bad');
    await uncached.verify('bad');
    assert.equal(calls.length, 3);
  });

  it('reports an unreachable or failing endpoint as unavailable, never as an invalid token', async () => {
    answer = { status: 500, body: { error: 'server_error' } };
    await assert.rejects(verifier(30).verify('x'), VerifierUnavailableError);
    const nowhere = new IntrospectionVerifier({ endpoint: 'http://127.0.0.1:1/', clientId: 'a', clientSecret: 'b', cacheMaxAge: 1, clock });
    await assert.rejects(nowhere.verify('x'), VerifierUnavailableError);
  });

  it('reads answers strictly', () => {
    const now = 1000;
    assert.equal(toVerified({ active: 'true', client_id: 'c' }, now), undefined);
    assert.equal(toVerified({ active: true }, now), undefined, 'no client_id');
    assert.equal(toVerified({ active: true, client_id: 'c', token_type: 'refresh_token' }, now), undefined);
    assert.equal(toVerified({ active: true, client_id: 'c', token_type: 'Bearer', exp: now }, now), undefined, 'expired though active');
    assert.equal(toVerified({ active: true, client_id: 'c' }, now), undefined, 'no token_type: a Portcullis refresh token');
    assert.ok(toVerified({ active: true, client_id: 'c' }, now, true), 'unless allowed for servers that never send it');
    assert.ok(toVerified({ active: true, client_id: 'c', token_type: 'bearer' }, now));
  });
});
