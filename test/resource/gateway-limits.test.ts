import assert from 'node:assert/strict';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { saveService } from '../../src/manage/services.ts';
import { adminCall, signIn } from '../helpers/admin.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { bearer, issueToken, rawRequest } from '../helpers/upstream.ts';

/** One upstream host for every service: `/slow…` answers only when released, anything else at once. */
async function startHost(): Promise<{ url: string; held: ServerResponse[]; maxOpen: () => number; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  let open = 0;
  let maxOpen = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.url!.startsWith('/slow')) {
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.once('close', () => open--);
      return void held.push(res);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"fast":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    maxOpen: () => maxOpen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Issue 18, finding 10: a service's concurrency limit and timeout are its own, so that one slow
 * service cannot starve another on the same upstream host (docs/resource-server.md "Limits per service").
 */
describe('per-service concurrency limits and timeouts', () => {
  let server: TestServer;
  let host: Awaited<ReturnType<typeof startHost>>;
  let access: string;
  const call = (service: string) => rawRequest(`${server.url}/invoke/${service}`, { headers: bearer(access) });

  before(async () => {
    host = await startHost();
    // The instance's defaults are generous: the services' own settings must be what applies.
    // 300 calls from one test process: the per-address connection cap is not what is tested here.
    server = await startTestServer({
      env: { PORTCULLIS_UPSTREAM_TIMEOUT_MS: '20000', PORTCULLIS_MAX_CONCURRENT_PER_SERVICE: '1000', PORTCULLIS_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0' },
    });
    const { store } = server.app;
    await saveService(store, server.clock, { name: 'shop:slow', upstream: `${host.url}/slow`, maxConcurrent: 3, timeoutMs: 60_000 });
    await saveService(store, server.clock, { name: 'shop:slower', upstream: `${host.url}/slow/2`, timeoutMs: 150 });
    await saveService(store, server.clock, { name: 'shop:fast', upstream: `${host.url}/fast` });
    await server.scope('shop', ['shop']);
    const { id } = await server.client({ name: 'app', grants: ['client_credentials'], scopes: ['shop'] });
    access = (await issueToken(server.app, id, { username: null, scope: ['shop'] })).access_token;
    server.secrets.add(access);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await host.close();
    await server.close();
  });

  it('300 slow calls: 3 reach the upstream, the rest get 503 with Retry-After at once, and another service is served meanwhile', async () => {
    // Every call is counted once it is answered or held at the upstream, whatever the machine's
    // speed: the admitted ones are held until released below (their timeout, 60 s, never frees a
    // place during the test), so exactly the limit's worth gets through. A broken limit shows as
    // more than 3 held, never as a hang.
    let answered = 0;
    const slow = Array.from({ length: 300 }, () => call('shop/slow').finally(() => answered++));
    try {
      while (answered + host.held.length < 300) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(host.held.length, 3, 'calls at the upstream');
      assert.equal(server.app.resource.gateway.concurrency.current('shop:slow'), 3);

      // The slow service's places are all taken, and still the other one answers.
      const fast = await call('shop/fast');
      assert.equal(fast.status, 200);
      assert.equal(host.held.length, 3, 'the slow calls were still held while the other service answered');
    } finally {
      for (const response of host.held) response.writeHead(200).end('done');
    }

    const answers = await Promise.all(slow);
    const refused = answers.filter((answer) => answer.status === 503);
    assert.equal(refused.length, 297);
    assert.equal(answers.filter((answer) => answer.status === 200).length, 3, 'the admitted calls got the upstream\'s answer');
    assert.equal(host.maxOpen(), 3, 'never more than 3 calls at the upstream at once');
    assert.equal(refused[0]!.headers['retry-after'], '1');
    assert.equal((JSON.parse(refused[0]!.body) as { error: string }).error, 'temporarily_unavailable');
    assert.equal(server.app.resource.gateway.concurrency.current('shop:slow'), 0, 'every place was given back');
  });

  it('a place freed by a finished call is taken by the next one', async () => {
    const before = host.held.length;
    const next = call('shop/slow');
    while (host.held.length === before) await new Promise((resolve) => setTimeout(resolve, 10));
    host.held.at(-1)!.writeHead(200).end('done');
    const answer = await next;
    assert.equal(answer.status, 200);
    assert.equal(server.app.resource.gateway.concurrency.current('shop:slow'), 0);
  });

  it('a service\'s own timeout applies, not the instance\'s 20 s', async () => {
    const answer = await call('shop/slower');
    assert.equal(answer.status, 504);
    // The answer names the timeout that applied (no stopwatch: the machine's load is not the gateway's).
    assert.match(answer.body, /within 150 ms/);
  });

  it('the limits are set and shown by the admin API, and refused out of range', async () => {
    const session = await signIn(server);
    const saved = await adminCall(server, 'PUT', '/services/shop:api', {
      session,
      body: { upstream: `${host.url}/fast`, max_concurrent: 5, timeout_ms: 2500 },
    });
    assert.equal(saved.status, 200);
    assert.equal(saved.body.max_concurrent, 5);
    assert.equal(saved.body.timeout_ms, 2500);
    const listed = await adminCall(server, 'GET', '/services', { session });
    const fast = (listed.body as { name: string; max_concurrent: number | null }[]).find((service) => service.name === 'shop:fast')!;
    assert.equal(fast.max_concurrent, null, 'null: the instance\'s default');
    const refused = await adminCall(server, 'PUT', '/services/shop:api', { session, body: { upstream: `${host.url}/fast`, max_concurrent: 0 } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.field, 'max_concurrent');
  });
});
