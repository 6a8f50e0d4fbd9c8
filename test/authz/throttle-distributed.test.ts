import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_THROTTLE, LoginThrottle, Throttled } from '../../src/authz/throttle.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Hardening (docs/security.md, "Brute force"): one account guessed from many addresses at once,
 * and one attacker spread over an IPv6 network or over spellings of one address.
 */

/** POSTs a form over a socket bound to `localAddress` (any of 127.0.0.0/8): a real client address. */
function postFrom(localAddress: string, url: string, form: Record<string, string>, basic: [string, string]): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          authorization: `Basic ${Buffer.from(basic.map(encodeURIComponent).join(':')).toString('base64')}`,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('one account guessed from many loopback addresses in parallel', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  const password = 'owner-password-9f3k';

  before(async () => {
    // Default settings: the per-username rate limit as shipped (its delay kept to milliseconds).
    server = await startTestServer({ env: { PORTCULLIS_THROTTLE_USER_BASE_DELAY_MS: '1', PORTCULLIS_THROTTLE_USER_MAX_DELAY_MS: '4' } });
    client = await server.client({ grants: ['password'] });
    await server.user('victim', password);
  });
  after(() => server.close());

  const login = (from: string, pw: string) =>
    postFrom(from, `${server.url}/oauth/token`, { grant_type: 'password', username: 'victim', password: pw }, [client.id, client.secret!]);

  test('300 guesses from 100 addresses: the hashes are capped; the owner from a good address still logs in', async () => {
    // The owner logged in from their usual address before the attack: it has a good history.
    assert.equal((await login('127.0.0.250', password)).status, 200);

    const hashesBefore = server.hasher.verifies + server.hasher.dummyVerifies;
    const attempts = Array.from({ length: 300 }, (_, i) => login(`127.0.0.${2 + (i % 100)}`, `guess-${i}`));
    const statuses = (await Promise.all(attempts)).map((response) => response.status);
    const hashes = server.hasher.verifies + server.hasher.dummyVerifies - hashesBefore;
    // Each address stays under its own (username, address) budget of 10: only the username's rate limit can stop this.
    const { failures, inFlight, freeFailures } = DEFAULT_THROTTLE.user;
    assert.ok(hashes <= failures + Math.max(inFlight, freeFailures), `${hashes} password hashes for 300 guesses`);
    assert.equal(statuses.filter((status) => status === 400).length, hashes);
    assert.equal(statuses.filter((status) => status === 429).length, 300 - hashes);

    // The owner, from the address with a good history, is neither refused nor delayed.
    const owner = await login('127.0.0.250', password);
    assert.equal(owner.status, 200);
    assert.equal(typeof owner.body.access_token, 'string');
    // A new address is refused while the username's budget is spent, even with the right password.
    const stranger = await login('127.0.0.251', password);
    assert.equal(stranger.status, 429);
    assert.equal(stranger.body.error, 'too_many_attempts');

    await server.app.ctx.audit.flush();
    const throttled = (await server.app.store.listAudit({ limit: 1000 })).filter((record) => record.type === 'login.throttled');
    assert.ok(throttled.some((record) => record.reason === 'user' && record.username === 'victim'));
  });
});

describe('addresses counted in one spelling, IPv6 by /64', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  const password = 'alice-password-7y2q';

  before(async () => {
    server = await startTestServer({
      env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1', PORTCULLIS_THROTTLE_USER_BASE_DELAY_MS: '1', PORTCULLIS_THROTTLE_USER_MAX_DELAY_MS: '4' },
    });
    client = await server.client({ grants: ['password'] });
    await server.user('alice', password);
  });
  after(() => server.close());

  const login = (forwardedFor: string, pw: string, username = 'alice') =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password: pw }, {
      basic: [client.id, client.secret!],
      headers: { 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'https' },
    });

  test('15 addresses of one IPv6 /64 share one budget', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 15; i++) statuses.push((await login(`2001:db8:0:1::${i.toString(16)}`, `wrong-${i}`)).status);
    const budget = DEFAULT_THROTTLE.userIp.failures;
    assert.deepEqual(statuses, [...Array<number>(budget).fill(400), ...Array<number>(15 - budget).fill(429)]);
    // Another /64 is another network.
    assert.equal((await login('2001:db8:0:2::1', password)).status, 200);
  });

  test('other spellings of a blocked address are the same address', async () => {
    for (let i = 0; i < DEFAULT_THROTTLE.userIp.failures; i++) assert.equal((await login('198.51.100.30', `bad-${i}`)).status, 400);
    for (const spelling of ['198.51.100.30:4711', '::ffff:198.51.100.30', '[::ffff:198.51.100.30]:443']) {
      assert.equal((await login(spelling, password)).status, 429, spelling);
    }
    for (let i = 0; i < DEFAULT_THROTTLE.userIp.failures; i++) assert.equal((await login('2001:db8:aa::9', `bad6-${i}`)).status, 400);
    for (const spelling of ['2001:0DB8:00AA:0:0:0:0:9', '[2001:db8:aa::9]:443', '2001:DB8:AA::9']) {
      assert.equal((await login(spelling, password)).status, 429, spelling);
    }
  });

  test('a forwarded address that is not an IP is refused and never stored', async () => {
    for (const forged of ['unknown', 'not-an-ip<script>', '_hidden', '2130706433']) {
      const response = await login(forged, password);
      assert.equal(response.status, 400, forged);
      assert.equal(response.body.error, 'invalid_request');
    }
    await server.app.ctx.audit.flush();
    const text = JSON.stringify(await server.app.store.listAudit({ limit: 1000 }));
    assert.ok(!text.includes('unknown') && !text.includes('<script>') && !text.includes('_hidden'));
    const ips = (await server.app.store.listAudit({ limit: 1000 })).map((record) => record.ip).filter((ip) => ip != null);
    for (const ip of ips) assert.match(String(ip), /^[0-9a-f.:]+$/);
  });
});

describe('per-username rate limit, unit (docs/security.md)', () => {
  const settings = {
    ...DEFAULT_THROTTLE,
    user: { ...DEFAULT_THROTTLE.user, freeFailures: 2, baseDelayMs: 0, failures: 5, inFlight: 2 },
  };

  test('attempts in flight on one username are capped across addresses; a second factor passes', async () => {
    const throttle = new LoginThrottle(settings, undefined, async () => {});
    await throttle.beforePassword('busy', '10.0.0.1');
    await throttle.beforePassword('busy', '10.0.0.2');
    await assert.rejects(throttle.beforePassword('busy', '10.0.0.3'), (error: unknown) => error instanceof Throttled && error.reason === 'user_busy');
    await throttle.beforePassword('busy', '10.0.0.4', { secondFactor: true });
    await throttle.passwordFailed('busy', '10.0.0.1');
    await throttle.passwordFailed('busy', '10.0.0.4');
    await throttle.beforePassword('busy', '10.0.0.3');
  });

  test("a user's own parallel logins below the free failures are never refused for being in flight", async () => {
    const throttle = new LoginThrottle(DEFAULT_THROTTLE, undefined, async () => {});
    await Promise.all(Array.from({ length: DEFAULT_THROTTLE.user.freeFailures }, () => throttle.beforePassword('service-account', '10.4.0.1')));
  });

  test('the window budget refuses new addresses, never one with a good history', async () => {
    const throttle = new LoginThrottle(settings, undefined, async () => {});
    await throttle.beforePassword('owner', '10.1.0.1');
    await throttle.passwordSucceeded('owner', '10.1.0.1');
    for (let i = 0; i < 5; i++) {
      await throttle.beforePassword('owner', `10.2.0.${i}`);
      await throttle.passwordFailed('owner', `10.2.0.${i}`);
    }
    await assert.rejects(throttle.beforePassword('owner', '10.3.0.1'), (error: unknown) => error instanceof Throttled && error.reason === 'user');
    await throttle.beforePassword('owner', '10.1.0.1');
    await throttle.passwordSucceeded('owner', '10.1.0.1');
  });
});
