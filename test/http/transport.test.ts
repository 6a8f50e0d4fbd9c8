import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

/** The client address the server saw, read back from the audit record of a failed login. */
async function seenAddress(server: TestServer, client: { id: string; secret: string | undefined }, headers: Record<string, string>): Promise<string | null | undefined> {
  const username = `probe-${Math.random().toString(36).slice(2)}`;
  await server.user(username, 'the probe user password');
  await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password: 'probe password' }, { basic: [client.id, client.secret!], headers });
  await server.app.ctx.audit.flush();
  return (await server.app.store.listAudit({ limit: 50 })).find((record) => record.username === username)?.ip;
}

describe('client address behind trusted proxies (docs/security.md)', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' } });
    client = await server.client({ grants: ['password'] });
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  const https = { 'x-forwarded-proto': 'https' };

  test('the forwarded address of a trusted peer is the client address', async () => {
    assert.equal(await seenAddress(server, client, { 'x-forwarded-for': '203.0.113.1', ...https }), '203.0.113.1');
  });

  test('the rightmost untrusted hop wins: a spoofed leftmost entry is ignored', async () => {
    assert.equal(await seenAddress(server, client, { 'x-forwarded-for': '198.51.100.66, 203.0.113.2', ...https }), '203.0.113.2');
  });

  test('trusted hops (here 10.0.0.0/8) are skipped from the right', async () => {
    assert.equal(await seenAddress(server, client, { 'x-forwarded-for': '203.0.113.3, 10.1.2.3, 10.4.5.6', ...https }), '203.0.113.3');
  });

  test('Require-HTTPS: a remote client over plain HTTP is refused; X-Forwarded-Proto from a trusted proxy counts', async () => {
    const plain = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, client.secret!], headers: { 'x-forwarded-for': '203.0.113.4' } });
    assert.equal(plain.status, 400);
    assert.equal(plain.body.error, 'invalid_request');
    assert.match(String(plain.body.error_description), /HTTPS/);
    const viaTls = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, client.secret!], headers: { 'x-forwarded-for': '203.0.113.4', ...https } });
    assert.equal(viaTls.body.error, 'unauthorized_client', 'the HTTPS check passed; the next check answered');
  });

  test('Require-HTTPS can be switched off explicitly', async () => {
    await server.app.store.updateSettings({ requireHttps: false });
    server.app.ctx.settings.invalidate();
    const plain = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, client.secret!], headers: { 'x-forwarded-for': '203.0.113.4' } });
    assert.equal(plain.body.error, 'unauthorized_client');
    await server.app.store.updateSettings({ requireHttps: true });
    server.app.ctx.settings.invalidate();
  });
});

describe('without trusted proxies, forwarding headers are ignored', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  before(async () => {
    server = await startTestServer();
    client = await server.client({ grants: ['password'] });
  });
  after(async () => {
    await server.close();
  });

  test('X-Forwarded-For does not change the client address', async () => {
    assert.equal(await seenAddress(server, client, { 'x-forwarded-for': '203.0.113.9' }), '127.0.0.1');
  });

  test('a loopback client over plain HTTP counts as secure', async () => {
    const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, client.secret!] });
    assert.equal(response.body.error, 'unauthorized_client');
  });
});

describe('TLS served directly (--tls-cert, --tls-key)', () => {
  let dir: string;
  let server: TestServer;
  let cert: Buffer;
  let client: { id: string; secret: string | undefined };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-'));
    const [certPath, keyPath] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyPath, '-out', certPath,
    ], { stdio: 'ignore' });
    cert = readFileSync(certPath);
    server = await startTestServer({ env: { PORTCULLIS_TLS_CERT: certPath, PORTCULLIS_TLS_KEY: keyPath, PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1' } });
    client = await server.client({ grants: ['client_credentials'] });
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function post(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
    const url = new URL(path, server.url.replace('http:', 'https:'));
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method: 'POST', ca: cert, agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('a remote client over TLS passes Require-HTTPS and gets a token; HSTS is sent', async () => {
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret!)}`).toString('base64')}`;
    const response = await post('/oauth/token', 'grant_type=client_credentials', { authorization: basic, 'x-forwarded-for': '203.0.113.10' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    server.secrets.add(response.body.access_token as string);
    assert.equal(response.headers['strict-transport-security'], 'max-age=31536000');
  });

  test('plain HTTP is not served on the TLS port', async () => {
    await assert.rejects(fetch(`${server.url}/healthz`));
  });
});
