import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import type { VerifierLogger } from '../../src/resource/failure-report.ts';
import type { IntrospectionOptions } from '../../src/resource/introspection-options.ts';
import { IntrospectionVerifier, introspectionVerifier, toVerified } from '../../src/resource/introspection-verifier.ts';
import { VerifierUnavailableError } from '../../src/resource/token-verifier.ts';
import { freePort } from '../helpers/processes.ts';

describe('IntrospectionVerifier (RFC 7662 client with a bounded cache)', () => {
  let server: Server;
  let endpoint: string;
  const calls: { authorization: string | undefined; body: string }[] = [];
  /** `raw` is sent as is instead of `body` as JSON. */
  let answer: { status: number; body?: unknown; raw?: string };
  const clock = new ManualClock(1_800_000_000);

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        calls.push({ authorization: req.headers.authorization, body });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.raw ?? JSON.stringify(answer.body));
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
    new IntrospectionVerifier({ endpoint, clientId: 'rs:1', clientSecret: 's&cret', cacheMaxAge, clock, logger: false });

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
    const nowhere = new IntrospectionVerifier({ endpoint: 'http://127.0.0.1:1/', clientId: 'a', clientSecret: 'b', cacheMaxAge: 1, clock, logger: false });
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
  describe('failures are reported, never silent', () => {
    const SECRET = 'the-client-secret-0123';
    const TOKEN = 'the-bearer-token-4567';

    /** A logger that keeps its lines, as console or pino would print them. */
    function recordingLogger(): VerifierLogger & { lines: string[] } {
      const lines: string[] = [];
      return {
        lines,
        warn: (message) => lines.push(`warn ${message}`),
        error: (message) => lines.push(`error ${message}`),
        info: (message) => lines.push(`info ${message}`),
      };
    }

    function reporting(options: Partial<IntrospectionOptions> = {}) {
      const errors: Error[] = [];
      const logger = recordingLogger();
      const v = introspectionVerifier({
        endpoint,
        clientId: 'rs',
        clientSecret: SECRET,
        cacheMaxAge: 0,
        clock,
        onError: (error) => errors.push(error),
        logger,
        ...options,
      });
      return { v, errors, logger };
    }

    const leaks = (error: Error) => [TOKEN, SECRET, encodeURIComponent(SECRET)].filter((secret) => `${String(error)} ${error.stack}`.includes(secret));

    it('hands every failure to onError, as an unavailable source, without the token or the secret', async () => {
      const { v, errors } = reporting();
      answer = { status: 500, body: { error: 'server_error' } };
      await assert.rejects(v.verify(TOKEN), VerifierUnavailableError);
      answer = { status: 200, raw: '<html>not json</html>' };
      await assert.rejects(v.verify(TOKEN), VerifierUnavailableError);
      answer = { status: 200, raw: 'null' };
      await assert.rejects(v.verify(TOKEN), VerifierUnavailableError, 'JSON that is not an object is a failure, not a crash');
      const nowhere = reporting({ endpoint: `http://127.0.0.1:${await freePort()}/oauth/introspect` });
      await assert.rejects(nowhere.v.verify(TOKEN), VerifierUnavailableError);

      const all = [...errors, ...nowhere.errors];
      assert.ok(all.every((error) => error instanceof VerifierUnavailableError));
      assert.match(errors[0]!.message, /introspection endpoint http:\/\/127\.0\.0\.1:\d+\/oauth\/introspect answered 500/);
      assert.match(errors[1]!.message, /malformed JSON/);
      assert.match(errors[2]!.message, /not an object/);
      assert.match(nowhere.errors[0]!.message, /127\.0\.0\.1:\d+\/oauth\/introspect is unreachable \(ECONNREFUSED\)/);
      assert.deepEqual(all.flatMap(leaks), []);
    });

    it('says when the endpoint refuses the client credentials', async () => {
      const { v, errors, logger } = reporting();
      answer = { status: 401, body: { error: 'invalid_client' } };
      await assert.rejects(v.verify(TOKEN), VerifierUnavailableError);
      assert.match(errors[0]!.message, /refused the client credentials \(401\): check clientId and clientSecret/);
      assert.equal(logger.lines.length, 1);
      assert.match(logger.lines[0]!, /^error portcullis: token verification failing, requests get 503: .*refused the client credentials/);
      assert.deepEqual(errors.flatMap(leaks), []);
      assert.ok(!logger.lines.join('\n').includes(SECRET));
    });

    it('logs one line per burst of the same failure, a new kind of failure, and the recovery', async () => {
      const { v, errors, logger } = reporting();
      answer = { status: 503, body: {} };
      for (let i = 0; i < 5; i++) await assert.rejects(v.verify(`${TOKEN}-${i}`));
      assert.equal(errors.length, 5, 'onError hears of every one');
      assert.deepEqual(logger.lines.map((line) => line.split(':')[0]), ['warn portcullis']);
      assert.match(logger.lines[0]!, /answered 503$/);

      answer = { status: 200, raw: '{' };
      await assert.rejects(v.verify(TOKEN));
      assert.equal(logger.lines.length, 2);
      assert.match(logger.lines[1]!, /^error .*malformed JSON/);

      answer = { status: 200, body: { active: false } };
      assert.equal(await v.verify(TOKEN), undefined);
      assert.equal(await v.verify(TOKEN), undefined);
      assert.deepEqual(logger.lines.slice(2), ['info portcullis: token verification recovered after 6 failed calls']);

      answer = { status: 503, body: {} };
      await assert.rejects(v.verify(TOKEN));
      assert.equal(logger.lines.length, 4, 'a new burst is logged again');
    });

    it('logs to console by default, and nothing with logger: false', async () => {
      const warn = mock.method(console, 'warn', () => {});
      try {
        answer = { status: 502, body: {} };
        await assert.rejects(introspectionVerifier({ endpoint, clientId: 'rs', clientSecret: SECRET, cacheMaxAge: 0 }).verify(TOKEN));
        assert.equal(warn.mock.callCount(), 1);
        assert.match(String(warn.mock.calls[0]!.arguments[0]), /token verification failing.*answered 502/);
        await assert.rejects(introspectionVerifier({ endpoint, clientId: 'rs', clientSecret: SECRET, cacheMaxAge: 0, logger: false }).verify(TOKEN));
        assert.equal(warn.mock.callCount(), 1);
      } finally {
        warn.mock.restore();
      }
    });

    it('answers 503 even when the onError hook throws', async () => {
      const v = introspectionVerifier({ endpoint, clientId: 'rs', clientSecret: SECRET, cacheMaxAge: 0, logger: false, onError: () => {
        throw new Error('hook bug');
      } });
      answer = { status: 500, body: {} };
      await assert.rejects(v.verify(TOKEN), VerifierUnavailableError);
    });
  });

  describe('a misconfigured verifier fails at construction, naming the option', () => {
    const good = { endpoint: 'https://auth.example.com/oauth/introspect', clientId: 'rs', clientSecret: 'secret-value-98', cacheMaxAge: 30 };
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ['no endpoint', { endpoint: undefined }, /`endpoint` is missing/],
      ['an empty endpoint', { endpoint: '' }, /`endpoint` is missing/],
      ['an endpoint that is no URL', { endpoint: 'auth.example.com/introspect' }, /`endpoint` is not a URL/],
      ['an endpoint that is not http(s)', { endpoint: 'ftp://auth.example.com/introspect' }, /`endpoint` must be an http: or https: URL, not ftp:/],
      ['credentials in the endpoint', { endpoint: 'https://rs:pw@auth.example.com/introspect' }, /`endpoint` must not carry credentials/],
      ['no clientId', { clientId: undefined }, /`clientId` is missing or empty/],
      ['an empty clientId', { clientId: '' }, /`clientId` is missing or empty/],
      ['no clientSecret', { clientSecret: undefined }, /`clientSecret` is missing or empty/],
      ['an empty clientSecret', { clientSecret: ' ' }, /`clientSecret` is missing or empty/],
      ['no cacheMaxAge', { cacheMaxAge: undefined }, /`cacheMaxAge` must be a number of seconds, 0 or more .*, not undefined/],
      ['a negative cacheMaxAge', { cacheMaxAge: -1 }, /`cacheMaxAge` must be .*, not -1/],
      ['a cacheMaxAge read from the environment as text', { cacheMaxAge: '30' }, /`cacheMaxAge` must be .*, not the string "30"/],
      ['a NaN cacheMaxAge', { cacheMaxAge: Number.NaN }, /`cacheMaxAge` must be .*, not NaN/],
      ['a zero timeoutMs', { timeoutMs: 0 }, /`timeoutMs` must be a number of milliseconds above 0/],
      ['a fractional maxEntries', { maxEntries: 1.5 }, /`maxEntries` must be a whole number above 0/],
      ['an onError that is no function', { onError: 'log it' }, /`onError` must be a function/],
      ['a logger without warn and error', { logger: { log() {} } }, /`logger` must have warn and error methods/],
    ];
    for (const [what, change, message] of refused) {
      it(`refuses ${what}`, () => {
        const options = { ...good, ...change } as unknown as IntrospectionOptions;
        assert.throws(() => introspectionVerifier(options), (error: Error) => {
          assert.match(error.message, /^portcullis introspectionVerifier: /);
          assert.match(error.message, message);
          assert.ok(!error.message.includes(good.clientSecret), 'the secret is never quoted');
          return true;
        });
      });
    }

    it('refuses no options at all, and accepts a cache bound of 0 and plain http', () => {
      assert.throws(() => introspectionVerifier(undefined as unknown as IntrospectionOptions), /options \{ endpoint, clientId, clientSecret, cacheMaxAge \} are required/);
      assert.ok(introspectionVerifier({ ...good, endpoint: 'http://127.0.0.1:5555/oauth/introspect', cacheMaxAge: 0 }));
    });
  });
});
