import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { OAuth2Client } from '@badgateway/oauth2-client';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';

// A client library nobody here wrote, configured only with the server's address: it discovers the
// endpoints from RFC 8414 metadata and then gets, refreshes, introspects and revokes a token.

let server: TestServer;

before(async () => {
  server = await startTestServer();
  await server.scope('orders');
  await server.user('alice', 'alice-password-1');
});

after(async () => {
  assert.deepEqual(findLeaks(server.logs, server.secrets), []);
  await server.close();
});

for (const authenticationMethod of ['client_secret_basic', 'client_secret_post'] as const) {
  it(`@badgateway/oauth2-client with ${authenticationMethod}: password, refresh, introspect, revoke`, async () => {
    const registered = await server.client({ name: `lib-${authenticationMethod}`, grants: ['password', 'refresh_token'], scopes: ['orders'] });
    const client = new OAuth2Client({
      server: `${server.url}/`,
      clientId: registered.id,
      clientSecret: registered.secret,
      authenticationMethod,
    });

    const token = await client.password({ username: 'alice', password: 'alice-password-1', scope: ['orders'] });
    server.secrets.add(token.accessToken).add(token.refreshToken!);
    assert.ok(token.accessToken);
    assert.ok(token.refreshToken);
    assert.ok(token.expiresAt! > Date.now());

    const refreshed = await client.refreshToken(token);
    server.secrets.add(refreshed.accessToken).add(refreshed.refreshToken!);
    assert.notEqual(refreshed.accessToken, token.accessToken);
    assert.notEqual(refreshed.refreshToken, token.refreshToken);

    const info = await client.introspect(refreshed);
    assert.equal(info.active, true);
    assert.equal(info.username, 'alice');
    assert.equal(info.scope, 'orders');

    await client.revoke(refreshed, 'access_token');
    assert.equal((await client.introspect(refreshed)).active, false);
    await assert.rejects(client.refreshToken(refreshed), /invalid_grant|refresh/i, 'the refresh token went with it');
  });
}
