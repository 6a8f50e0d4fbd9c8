import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.ts';
import { Argon2Hasher } from '../../src/core/password-hash.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { createUser } from '../../src/manage/users.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';
import { authorizePath, pkcePair, redirectParams, TestBrowser } from '../helpers/sign-in.ts';

// Three `portcullis serve` processes on one PostgreSQL database (a new one per run): docs/deployment.md.
if (await requirePostgres('cluster test (three instances on PostgreSQL)')) {
  describe('a cluster of three instances on one PostgreSQL', () => {
    let database: TestDatabase;
    let store: PostgresStore;
    let nodes: ServerProcess[];
    let basic: [string, string];
    let spaId: string;

    before(async () => {
      database = await createTestDatabase();
      store = new PostgresStore(database.url);
      await store.migrate();
      const { client, secret } = await registerClient(store, systemClock, {
        name: 'cluster-app',
        type: 'confidential',
        grants: ['password', 'refresh_token'],
      });
      basic = [client.id, secret!];
      const spa = await registerClient(store, systemClock, {
        name: 'cluster-spa',
        type: 'public',
        grants: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://spa.example/callback'],
      });
      spaId = spa.client.id;
      await createUser(store, new Argon2Hasher(), systemClock, { username: 'alice', password: 'correct horse battery' });
      // All three start together: their migrations and first-run setup race on the advisory lock.
      nodes = await Promise.all([0, 1, 2].map(() => startServerProcess(database.env)));
    });

    after(async () => {
      await Promise.all((nodes ?? []).map((node) => node.stop()));
      await store?.close();
      await database?.drop();
    });

    const login = (node: ServerProcess) =>
      postForm(`${node.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'correct horse battery' }, { basic });
    const introspect = async (node: ServerProcess, token: string) =>
      (await postForm(`${node.url}/oauth/introspect`, { token }, { basic })).body.active;

    it('every instance is ready on the shared store', async () => {
      for (const node of nodes) assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
    });

    it('a token issued by A is introspected by B, revoked by C, then dead everywhere', async () => {
      const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
      const issued = await login(a);
      assert.equal(issued.status, 200);
      const access = issued.body.access_token as string;
      const refresh = issued.body.refresh_token as string;
      assert.equal(await introspect(b, access), true);
      assert.equal(await introspect(c, refresh), true);

      assert.equal((await postForm(`${c.url}/oauth/revoke`, { token: access }, { basic })).status, 200);
      for (const node of nodes) {
        assert.equal(await introspect(node, access), false);
        assert.equal(await introspect(node, refresh), false, 'revoking the access token revokes its refresh token');
      }
      const refreshed = await postForm(`${b.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refresh }, { basic });
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body.error, 'invalid_grant');
    });

    it('a user signs in on A, approves on B and is seen signed in by C; the code is redeemed on C and its replay on A revokes everywhere', async () => {
      const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
      const pkce = pkcePair();
      const path = authorizePath({
        client_id: spaId,
        redirect_uri: 'https://spa.example/callback',
        response_type: 'code',
        state: 'cluster',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      });
      const onA = new TestBrowser(a.url);
      const signIn = await onA.get(path);
      const approval = await onA.submit(signIn, { username: 'alice', password: 'correct horse battery' });
      assert.match(approval.html, /wants to access your account/, 'signed in on A');
      const approved = await onA.at(b.url).submit(approval, { decision: 'approve' });
      assert.equal(approved.status, 303, 'B knows the session and its CSRF token');
      const again = await onA.at(c.url).get(path);
      assert.equal(again.status, 303, 'C knows the session and the consent: straight back');
      const code = redirectParams(again.location).code!;

      const redeem = (node: ServerProcess) =>
        postForm(`${node.url}/oauth/token`, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'https://spa.example/callback',
          code_verifier: pkce.verifier,
          client_id: spaId,
        });
      const issued = await redeem(c);
      assert.equal(issued.status, 200);
      const refresh = (node: ServerProcess, token: string) =>
        postForm(`${node.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: token, client_id: spaId });
      const refreshed = await refresh(b, issued.body.refresh_token as string);
      assert.equal(refreshed.status, 200, 'the grant is live on B');
      assert.equal((await redeem(a)).body.error, 'invalid_grant');
      assert.equal((await refresh(c, refreshed.body.refresh_token as string)).body.error, 'invalid_grant', 'the replay revoked the grant');
    });

    it('one refresh token presented to A and B at the same moment: one success, and the family revoked, every time', async () => {
      const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
      for (let round = 0; round < 15; round++) {
        const issued = await login(c);
        assert.equal(issued.status, 200);
        const refresh = issued.body.refresh_token as string;
        const present = (node: ServerProcess) =>
          postForm(`${node.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refresh }, { basic });
        const answers = await Promise.all([present(a), present(b)]);
        const statuses = answers.map((answer) => answer.status).sort();
        assert.deepEqual(statuses, [200, 400], `round ${round}`);
        const loser = answers.find((answer) => answer.status === 400)!;
        assert.equal(loser.body.error, 'invalid_grant');

        const token = await store.findToken(hashSecret(refresh));
        assert.ok(token);
        assert.notEqual((await store.findFamily(token.familyId!))?.revokedAt, null, `round ${round}: the family is revoked`);
        const winner = answers.find((answer) => answer.status === 200)!;
        for (const node of nodes) {
          assert.equal(await introspect(node, winner.body.access_token as string), false);
          assert.equal(await introspect(node, winner.body.refresh_token as string), false);
        }
      }
    });
  });
}
