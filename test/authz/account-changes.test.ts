import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteClient, updateClient } from '../../src/manage/clients.ts';
import { deleteUser, setPassword, setUserEnabled } from '../../src/manage/users.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

/** docs/oauth.md "Refresh tokens" and docs/security.md: account and client changes end tokens. */
describe('account and client changes end tokens (over HTTP)', () => {
  let server: TestServer;
  /** A resource server that may introspect every client's tokens. */
  let resourceServer: { id: string; secret: string | undefined };

  before(async () => {
    server = await startTestServer();
    resourceServer = await server.client({ grants: ['client_credentials'], introspect: true });
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  async function grantFor(username: string) {
    const password = `password of ${username}`;
    await server.user(username, password);
    const client = await server.client({ grants: ['password', 'refresh_token'] });
    const response = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username, password },
      { basic: [client.id, client.secret!], secrets: server.secrets },
    );
    assert.equal(response.status, 200);
    return { client, password, access: response.body.access_token as string, refresh: response.body.refresh_token as string };
  }

  const introspect = async (token: string) =>
    (await postForm(`${server.url}/oauth/introspect`, { token }, { basic: [resourceServer.id, resourceServer.secret!] })).body;

  const refresh = (client: { id: string; secret: string | undefined }, token: string) =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: token }, { basic: [client.id, client.secret!], secrets: server.secrets });

  async function assertEnded(grant: Awaited<ReturnType<typeof grantFor>>) {
    assert.deepEqual(await introspect(grant.access), { active: false });
    assert.deepEqual(await introspect(grant.refresh), { active: false });
    const response = await refresh(grant.client, grant.refresh);
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_grant');
  }

  test('the tokens are live to begin with', async () => {
    const grant = await grantFor('control');
    assert.equal((await introspect(grant.access)).active, true);
    assert.equal((await refresh(grant.client, grant.refresh)).status, 200);
  });

  test('changing the password ends every token family of the user', async () => {
    const grant = await grantFor('changes-password');
    server.secrets.add('a brand new password');
    await setPassword(server.app.store, server.hasher, server.clock, 'changes-password', 'a brand new password');
    await assertEnded(grant);
  });

  test('disabling the user ends them, and enabling does not bring them back', async () => {
    const grant = await grantFor('gets-disabled');
    await setUserEnabled(server.app.store, server.clock, 'gets-disabled', false);
    await assertEnded(grant);
    await setUserEnabled(server.app.store, server.clock, 'gets-disabled', true);
    assert.deepEqual(await introspect(grant.access), { active: false });
  });

  test('deleting the user ends them, and a new user of that name does not inherit them', async () => {
    const grant = await grantFor('gets-deleted');
    await deleteUser(server.app.store, server.clock, 'gets-deleted');
    await assertEnded(grant);
    await server.user('gets-deleted', 'someone else entirely');
    assert.deepEqual(await introspect(grant.access), { active: false });
  });

  test('disabling the client makes its tokens inactive until it is enabled again', async () => {
    const grant = await grantFor('client-disabled-user');
    await updateClient(server.app.store, grant.client.id, { enabled: false }, server.clock);
    assert.deepEqual(await introspect(grant.access), { active: false });
    assert.deepEqual(await introspect(grant.refresh), { active: false });
    const refused = await refresh(grant.client, grant.refresh);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');

    await updateClient(server.app.store, grant.client.id, { enabled: true }, server.clock);
    assert.equal((await introspect(grant.access)).active, true);
    assert.equal((await refresh(grant.client, grant.refresh)).status, 200);
  });

  test('deleting the client deletes its tokens', async () => {
    const grant = await grantFor('client-deleted-user');
    await deleteClient(server.app.store, grant.client.id, server.clock);
    assert.deepEqual(await introspect(grant.access), { active: false });
    assert.deepEqual(await introspect(grant.refresh), { active: false });
    assert.deepEqual(await server.app.store.listTokens({ clientId: grant.client.id }, server.clock.nowSeconds()), []);
    const refused = await refresh(grant.client, grant.refresh);
    assert.equal(refused.status, 401);
  });
});
