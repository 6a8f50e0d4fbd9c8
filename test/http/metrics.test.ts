import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signIn } from '../helpers/admin.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics (Prometheus text format)', () => {
  let server: TestServer;
  let metrics: string;

  before(async () => {
    server = await startTestServer();
    await server.user('alice', 'correct horse battery');
    const app = await server.client({ grants: ['password', 'refresh_token', 'client_credentials'] });
    const basic: [string, string] = [app.id, app.secret!];
    const first = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'correct horse battery' }, { basic });
    assert.equal(first.status, 200);
    await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, { basic });
    await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic });
    assert.equal((await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'wrong' }, { basic })).status, 400);
    assert.equal((await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [app.id, 'bad'] })).status, 401);
    await postForm(`${server.url}/oauth/token`, { grant_type: 'made_up' }, { basic });
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    metrics = await response.text();
  });
  after(() => server.close());

  it('counts tokens issued per grant type', () => {
    assert.equal(sample(metrics, 'portcullis_tokens_issued_total', { grant_type: 'password' }), 1);
    assert.equal(sample(metrics, 'portcullis_tokens_issued_total', { grant_type: 'refresh_token' }), 1);
    assert.equal(sample(metrics, 'portcullis_tokens_issued_total', { grant_type: 'client_credentials' }), 1);
  });

  it('counts failures per route and error code, without echoing request input', () => {
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: '/oauth/token', error: 'invalid_grant' }), 1);
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: '/oauth/token', error: 'invalid_client' }), 1);
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: '/oauth/token', error: 'unsupported_grant_type' }), 1);
    assert.ok(!metrics.includes('made_up'), 'an unknown grant type never becomes a label');
  });

  it('times requests per route and password hashing per operation', () => {
    assert.equal(sample(metrics, 'portcullis_http_request_duration_seconds_count', { route: '/oauth/token', status_code: '200', method: 'POST' }), 3);
    assert.ok((sample(metrics, 'portcullis_password_hash_duration_seconds_count', { operation: 'verify' }) ?? 0) >= 2);
    assert.ok((sample(metrics, 'portcullis_password_hash_duration_seconds_count', { operation: 'hash' }) ?? 0) >= 1);
  });

  it('defines the throttled-request counter and process metrics', () => {
    assert.match(metrics, /# TYPE portcullis_throttled_requests_total counter/);
    assert.match(metrics, /# TYPE portcullis_process_resident_memory_bytes gauge/);
  });

  it('no credential reaches the metrics or the logs', () => {
    for (const secret of server.secrets) assert.ok(!metrics.includes(secret));
  });
});

describe('metrics counted where the outcome is known (the error boundary, the token endpoint)', () => {
  let server: TestServer;
  let metrics: string;

  before(async () => {
    server = await startTestServer();
    await server.user('alice', 'correct horse battery');
    const app = await server.client({ grants: ['password', 'client_credentials'] });
    const basic: [string, string] = [app.id, app.secret!];
    // Admin API refusals: no credentials, then a bearer token that is not one.
    assert.equal((await fetch(`${server.url}/admin/api/clients`)).status, 401);
    assert.equal((await fetch(`${server.url}/admin/api/clients`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    // Every other kind of admin 4xx (issue 18, finding 11).
    const session = await signIn(server);
    const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/admin/api${path}`, {
        method,
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    assert.equal((await admin('POST', '/groups', { name: 'ops' }, { 'x-csrf-token': 'wrong' })).status, 403);
    assert.equal((await admin('POST', '/groups', { nom: 'ops' })).status, 400);
    assert.equal((await admin('POST', '/groups', { name: 'ops' })).status, 201);
    assert.equal((await admin('POST', '/groups', { name: 'ops' })).status, 409);
    assert.equal((await admin('GET', '/clients/no-such-client')).status, 404);
    assert.equal((await admin('POST', '/groups', { name: 'x' }, { 'content-type': 'text/plain' })).status, 415);
    const badSignIn = await fetch(`${server.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Administrator', password: 'not it' }),
    });
    assert.equal(badSignIn.status, 401);
    // Tokens through the alias; the body says password, the failure issues nothing.
    assert.equal((await postForm(`${server.url}/invoke/pub.oauth/getToken`, { grant_type: 'client_credentials' }, { basic })).status, 200);
    const wrong = { grant_type: 'password', username: 'alice', password: 'wrong' };
    assert.equal((await postForm(`${server.url}/invoke/pub.oauth/getToken`, wrong, { basic })).status, 400);
    // The gateway's refusals and an unknown path.
    assert.equal((await fetch(`${server.url}/invoke/orders/list`)).status, 401);
    assert.equal((await fetch(`${server.url}/no/such/path`)).status, 404);
    metrics = await (await fetch(`${server.url}/metrics`)).text();
  });
  after(() => server.close());

  it('counts an admin 401 under its real code, not server_error', () => {
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: '/admin/api/clients', error: 'unauthorized' }), 1);
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: '/admin/api/clients', error: 'invalid_token' }), 1);
    assert.ok(!metrics.includes('error="server_error"'), metrics);
  });

  it('counts every admin 4xx under its real code', () => {
    const count = (route: string, error: string) => sample(metrics, 'portcullis_request_failures_total', { route, error });
    assert.equal(count('/admin/api/groups', 'csrf_failed'), 1);
    assert.equal(count('/admin/api/groups', 'invalid_request'), 2, 'a schema refusal and a media type');
    assert.equal(count('/admin/api/groups', 'conflict'), 1);
    assert.equal(count('/admin/api/clients/:client_id', 'not_found'), 1);
    assert.equal(count('/admin/api/session', 'invalid_credentials'), 1);
  });

  it('counts a token issued under the grant type the endpoint used', () => {
    assert.equal(sample(metrics, 'portcullis_tokens_issued_total', { grant_type: 'client_credentials' }), 1);
    assert.equal(sample(metrics, 'portcullis_tokens_issued_total', { grant_type: 'password' }), undefined);
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: '/invoke/pub.oauth/getToken', error: 'invalid_grant' }), 1);
  });

  it('counts the gateway\'s refusals and unknown paths like every other failure', () => {
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: '/invoke/*', error: 'unauthorized' }), 1);
    assert.equal(sample(metrics, 'portcullis_request_failures_total', { route: 'unmatched', error: 'not_found' }), 1);
  });
});

describe('GET /metrics with metrics_token (docs/deployment.md "Metrics")', () => {
  const token = 'metrics-token-for-the-tests-0123';
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_METRICS_TOKEN: token } });
    server.secrets.add(token);
  });
  after(() => server.close());

  it('refuses a scrape without the token, or with another one', async () => {
    const none = await fetch(`${server.url}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="portcullis-metrics"');
    assert.equal(((await none.json()) as { error: string }).error, 'unauthorized');
    for (const authorization of [`Bearer ${token}x`, 'Bearer nope', `Bearer ${token} x`, `Basic ${Buffer.from(`x:${token}`).toString('base64')}`]) {
      const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization } });
      assert.equal(wrong.status, 401, authorization);
      assert.doesNotMatch(await wrong.text(), /portcullis_tokens_issued_total/);
    }
  });

  it('answers a scrape with the token', async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /portcullis_request_failures_total\{route="\/metrics",error="unauthorized"\} 2/);
  });
});
