import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_THROTTLE, LoginThrottle, Throttled } from '../../src/authz/throttle.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Requests arrive through a trusted TLS-terminating proxy on loopback, so each test can choose the
 * client address (and Require-HTTPS is met through `X-Forwarded-Proto`).
 */
function from(ip: string): { headers: Record<string, string> } {
  return { headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' } };
}

const IP_BUDGET = 40;

describe('brute-force defence over HTTP (docs/security.md, RFC 6749 §4.3.2)', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  const password = 'correct horse battery staple';

  before(async () => {
    // The per-username slowdown is real time; here it is kept to milliseconds (its growth is unit-tested below).
    // Production argon2: the parallel burst below proves attempts are counted before the hash only
    // while each hash takes its real time (with a cheap one, a budget counted after it could pass).
    server = await startTestServer({
      realArgon2: true,
      env: {
        PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1',
        PORTCULLIS_THROTTLE_USER_BASE_DELAY_MS: '1',
        PORTCULLIS_THROTTLE_USER_MAX_DELAY_MS: '4',
        // Smaller than the default budget (100) only to keep the stuffing run short.
        PORTCULLIS_THROTTLE_IP_FAILURES: String(IP_BUDGET),
        // The burst below tests the (username, address) budget alone; the per-username cap on
        // attempts in flight has its own tests (throttle-distributed.test.ts).
        PORTCULLIS_THROTTLE_USER_IN_FLIGHT: '1000',
      },
    });
    client = await server.client({ grants: ['password', 'refresh_token'] });
    for (const name of ['alice', 'bob', 'carol', 'dave']) await server.user(name, password);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  const login = (username: string, pw: string, ip: string) => {
    // Every guess is a credential too: none may reach the log.
    server.secrets.add(pw);
    return postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password: pw }, {
      basic: [client.id, client.secret!],
      secrets: server.secrets,
      ...from(ip),
    });
  };

  test('10 wrong passwords from one address → 429 with Retry-After; the right password from another address still works', async () => {
    for (let i = 0; i < DEFAULT_THROTTLE.userIp.failures; i++) {
      const response = await login('alice', `wrong-${i}`, '203.0.113.7');
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    }
    const hashesBefore = server.hasher.verifies + server.hasher.dummyVerifies;
    const blocked = await login('alice', password, '203.0.113.7');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error, 'too_many_attempts');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= DEFAULT_THROTTLE.userIp.blockSeconds, `Retry-After ${retryAfter}`);
    // Hardening: a throttled attempt never reaches the password hash.
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashesBefore);

    const elsewhere = await login('alice', password, '198.51.100.20');
    assert.equal(elsewhere.status, 200);
    assert.equal(typeof elsewhere.body.access_token, 'string');
  });

  test('a parallel burst of guesses runs at most the budget of hashes', async () => {
    const before = server.hasher.verifies + server.hasher.dummyVerifies;
    const responses = await Promise.all(Array.from({ length: 25 }, (_, i) => login('dave', `burst-${i}`, '203.0.113.200')));
    const statuses = responses.map((response) => response.status);
    assert.equal(statuses.filter((status) => status === 400).length, DEFAULT_THROTTLE.userIp.failures);
    assert.equal(statuses.filter((status) => status === 429).length, 25 - DEFAULT_THROTTLE.userIp.failures);
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies - before, DEFAULT_THROTTLE.userIp.failures);
  });

  test('a nonexistent username is throttled exactly like a real one, and case does not escape the counter', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_THROTTLE.userIp.failures + 1; i++) {
      const name = i % 2 === 0 ? 'Nobody-Here' : 'nobody-here';
      statuses.push((await login(name, `guess-${i}`, '203.0.113.8')).status);
    }
    assert.deepEqual(statuses, [...Array(DEFAULT_THROTTLE.userIp.failures).fill(400), 429]);
    const hashesBefore = server.hasher.verifies + server.hasher.dummyVerifies;
    const again = await login('NOBODY-HERE', 'x'.repeat(12), '203.0.113.8');
    assert.equal(again.status, 429);
    assert.equal(again.body.error, 'too_many_attempts');
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashesBefore);
  });

  test('a success resets the (username, address) counter', async () => {
    for (let i = 0; i < DEFAULT_THROTTLE.userIp.failures - 1; i++) assert.equal((await login('bob', `nope-${i}`, '203.0.113.9')).status, 400);
    assert.equal((await login('bob', password, '203.0.113.9')).status, 200);
    for (let i = 0; i < DEFAULT_THROTTLE.userIp.failures - 1; i++) assert.equal((await login('bob', `nope2-${i}`, '203.0.113.9')).status, 400);
    assert.equal((await login('bob', password, '203.0.113.9')).status, 200);
  });

  test('credential stuffing: 200 usernames from one address is throttled by the per-address budget', async () => {
    const ip = '192.0.2.50';
    const statuses: number[] = [];
    for (let i = 0; i < 200; i += 4) {
      const batch = await Promise.all([0, 1, 2, 3].map((j) => login(`user${i + j}@example.com`, `leaked-${i + j}`, ip)));
      statuses.push(...batch.map((response) => response.status));
    }
    const firstThrottled = statuses.indexOf(429);
    assert.ok(firstThrottled >= IP_BUDGET - 4 && firstThrottled <= IP_BUDGET + 4, `first 429 at ${firstThrottled}`);
    assert.ok(statuses.slice(IP_BUDGET + 4).every((status) => status === 429));
    // The right password of a real user from that address is refused too: the address is spent.
    const blocked = await login('carol', password, ip);
    assert.equal(blocked.status, 429);
    // Another address is unaffected.
    assert.equal((await login('carol', password, '192.0.2.51')).status, 200);
  });

  test('a username attacked from many addresses is slowed down, then closed to new addresses: its owner still logs in', async () => {
    // The owner's usual address has a good history.
    assert.equal((await login('carol', password, '100.64.1.1')).status, 200);
    for (let i = 0; i < DEFAULT_THROTTLE.user.failures; i++) {
      assert.equal((await login('carol', `spray-${i}`, `100.64.0.${i + 1}`)).status, 400);
    }
    assert.equal((await login('carol', 'spray-x', '100.64.2.1')).status, 429);
    assert.equal((await login('carol', password, '100.64.1.1')).status, 200);
  });

  test('client-secret guessing is throttled per client and address', async () => {
    const guess = (secret: string, ip: string) =>
      server.secrets.add(secret) &&
      postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'dave', password }, { basic: [client.id, secret], ...from(ip) });
    for (let i = 0; i < DEFAULT_THROTTLE.clientIp.failures; i++) {
      const response = await guess(`wrong-secret-${i}`, '203.0.113.77');
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
    }
    const blocked = await guess(client.secret!, '203.0.113.77');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error, 'too_many_attempts');
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    // Introspection and revocation authenticate clients too, behind the same counter.
    const introspect = await postForm(`${server.url}/oauth/introspect`, { token: 'x' }, { basic: [client.id, client.secret!], ...from('203.0.113.77') });
    assert.equal(introspect.status, 429);
    assert.equal((await guess(client.secret!, '203.0.113.78')).status, 200);
  });
});

describe('LoginThrottle (unit)', () => {
  const settings = {
    ...DEFAULT_THROTTLE,
    userIp: { failures: 3, windowSeconds: 60, blockSeconds: 30 },
    ip: { failures: 1000, windowSeconds: 60, blockSeconds: 60 },
    user: { ...DEFAULT_THROTTLE.user, freeFailures: 2, windowSeconds: 3600, baseDelayMs: 100, maxDelayMs: 1000, failures: 1000, inFlight: 1000 },
  };

  test('per username across addresses: a growing, capped delay, never a block', async () => {
    const sleeps: number[] = [];
    const throttle = new LoginThrottle(settings, undefined, async (ms) => {
      sleeps.push(ms);
    });
    for (let i = 0; i < 8; i++) {
      await throttle.beforePassword('victim', `10.0.0.${i}`);
      await throttle.passwordFailed('victim', `10.0.0.${i}`);
    }
    await throttle.beforePassword('Victim', '10.0.1.1');
    assert.deepEqual(sleeps, [100, 200, 400, 800, 1000, 1000, 1000]);
  });

  test('a blocked pair throws Throttled with the counter that refused it', async () => {
    const throttle = new LoginThrottle(settings, undefined, async () => {});
    for (let i = 0; i < 3; i++) {
      await throttle.beforePassword('someone', '10.9.9.9');
      await throttle.passwordFailed('someone', '10.9.9.9');
    }
    await assert.rejects(throttle.beforePassword('SOMEONE', '10.9.9.9'), (error: unknown) => {
      assert.ok(error instanceof Throttled);
      assert.equal(error.reason, 'user_ip');
      assert.equal(error.status, 429);
      assert.ok(Number(error.headers['Retry-After']) <= 30);
      return true;
    });
    await throttle.beforePassword('someone', '10.9.9.10');
  });

  test('a parallel burst cannot slip past the budget: attempts are counted before the hash runs', async () => {
    const throttle = new LoginThrottle(settings, undefined, async () => {});
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => throttle.beforePassword('burst', '10.7.7.7')));
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, settings.userIp.failures);
    assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled' || outcome.reason instanceof Throttled));
  });

  test('a success refunds its reservation: successes alone never spend a budget', async () => {
    const throttle = new LoginThrottle({ ...settings, ip: { failures: 3, windowSeconds: 60, blockSeconds: 60 } }, undefined, async () => {});
    for (let i = 0; i < 10; i++) {
      await throttle.beforePassword(i % 2 ? 'regular' : 'another', '10.8.8.8');
      await throttle.passwordSucceeded(i % 2 ? 'regular' : 'another', '10.8.8.8');
    }
  });

  test('the failure that starts a block is answered only once the block is recorded', async () => {
    const throttle = new LoginThrottle(settings, undefined, async () => {});
    let recorded: () => void = () => {};
    const started: string[] = [];
    // The pair's block is recorded only when the test says; the delay across addresses (started at
    // the second failure) at once.
    throttle.onBlock = (block) => {
      started.push(block.counter);
      if (block.counter !== 'user_ip') return Promise.resolve();
      return new Promise<void>((resolve) => {
        recorded = resolve;
      });
    };
    for (let i = 0; i < 2; i++) {
      await throttle.beforePassword('recorded', '10.6.6.6');
      await throttle.passwordFailed('recorded', '10.6.6.6');
    }
    assert.deepEqual(started, ['user']);
    started.length = 0;
    await throttle.beforePassword('recorded', '10.6.6.6');
    let answered = false;
    const failing = throttle.passwordFailed('recorded', '10.6.6.6').then(() => {
      answered = true;
    });
    // Give the counters' backend every chance to finish: only the record holds the answer back.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['user_ip']);
    assert.equal(answered, false, 'answered before the block was recorded');
    recorded();
    await failing;
    assert.equal(answered, true);
  });

  test('switched off explicitly, nothing is counted', async () => {
    const throttle = new LoginThrottle({ ...settings, enabled: false });
    for (let i = 0; i < 10; i++) {
      await throttle.beforePassword('x', '10.1.1.1');
      await throttle.passwordFailed('x', '10.1.1.1');
    }
    await throttle.beforePassword('x', '10.1.1.1');
  });
});
