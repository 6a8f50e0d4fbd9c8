import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setUserEnabled } from '../../src/manage/users.ts';
import { findLeaks, type FormResponse, postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizePath, hiddenFields, pkcePair, redirectParams, TestBrowser } from '../helpers/sign-in.ts';

const REDIRECT = 'https://app.example/callback';

/** The token endpoint's side of the authorization code grant, over real HTTP. */
describe('authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5–4.6)', () => {
  let server: TestServer;
  let spa: { id: string };
  let web: { id: string; secret: string | undefined };
  let other: { id: string };

  before(async () => {
    server = await startTestServer();
    await server.scope('orders');
    await server.scope('profile');
    const common = { redirectUris: [REDIRECT], scopes: ['orders', 'profile'], consent: 'skip' };
    spa = await server.client({ type: 'public', grants: ['authorization_code', 'refresh_token'], ...common });
    web = await server.client({ type: 'confidential', grants: ['authorization_code', 'refresh_token'], ...common });
    other = await server.client({ type: 'public', grants: ['authorization_code'], ...common });
    await server.user('alice', 'alice-password-1');
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  /** Signs alice in for `clientId` (consent is skipped for these clients) and returns the code. */
  async function codeFor(clientId: string, params: Record<string, string | undefined> = {}): Promise<string> {
    const all: Record<string, string> = {};
    for (const [name, value] of Object.entries({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', state: 's', ...params })) {
      if (value !== undefined) all[name] = value;
    }
    const browser = new TestBrowser(server.url);
    const page = await browser.get(authorizePath(all));
    const answer = await browser.post('/oauth/authorize', { ...hiddenFields(page.html), username: 'alice', password: 'alice-password-1' });
    const code = redirectParams(answer.location).code;
    assert.ok(code, `a code for ${clientId}`);
    server.secrets.add(code);
    return code;
  }

  const redeem = (params: Record<string, string>, basic?: [string, string]): Promise<FormResponse> =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'authorization_code', ...params }, { basic, secrets: server.secrets });
  const introspect = async (token: string) =>
    (await postForm(`${server.url}/oauth/introspect`, { token }, { basic: [web.id, web.secret!] })).body;

  const refused = (answer: FormResponse) => {
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: 'invalid_grant', error_description: 'invalid authorization code' });
  };

  test('a public client redeems with its verifier; tokens as for the password grant, refresh rotating', async () => {
    const pkce = pkcePair();
    const code = await codeFor(spa.id, { code_challenge: pkce.challenge, code_challenge_method: 'S256', scope: 'orders' });
    const answer = await redeem({ code, redirect_uri: REDIRECT, code_verifier: pkce.verifier, client_id: spa.id });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(answer.body.scope, 'orders');
    assert.equal(answer.body.expires_in, 3600);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(answer.body.id_token, undefined, 'no openid scope, no ID token');
    const described = await postForm(`${server.url}/oauth/introspect`, { token: answer.body.access_token as string }, { basic: [web.id, web.secret!] });
    assert.equal(described.body.active, false, 'another client learns nothing about it');
    const refreshed = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: answer.body.refresh_token as string, client_id: spa.id },
      { secrets: server.secrets },
    );
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.refresh_token, answer.body.refresh_token);

    await server.app.ctx.audit.flush();
    const issued = (await server.app.store.listAudit({ limit: 50, type: 'token.issued' })).find((record) => record.clientId === spa.id);
    assert.equal(issued?.detail?.grant_type, 'refresh_token');
    const first = (await server.app.store.listAudit({ limit: 50, type: 'token.issued' })).filter((record) => record.detail?.grant_type === 'authorization_code');
    assert.ok(first.some((record) => record.username === 'alice' && record.clientId === spa.id));
  });

  test('a confidential client authenticates; PKCE is optional for it', async () => {
    const code = await codeFor(web.id);
    assert.equal((await redeem({ code, redirect_uri: REDIRECT }, [web.id, web.secret!])).status, 200);
    const unauthenticated = await redeem({ code: await codeFor(web.id), redirect_uri: REDIRECT, client_id: web.id });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body.error, 'invalid_client');
  });

  describe('RFC 7636 §4.6: the verifier', () => {
    const pkce = pkcePair();
    for (const [label, verifier] of [
      ['missing', undefined],
      ['another verifier', pkcePair().verifier],
      ['the challenge itself (as plain would take it)', pkce.challenge],
      ['too short', 'abc'],
    ] as const) {
      test(`${label}: invalid_grant, and the code stays usable for the right verifier`, async () => {
        const code = await codeFor(spa.id, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
        const params: Record<string, string> = { code, redirect_uri: REDIRECT, client_id: spa.id };
        if (verifier !== undefined) params.code_verifier = verifier;
        refused(await redeem(params));
        assert.equal((await redeem({ ...params, code_verifier: pkce.verifier })).status, 200);
      });
    }

    test('RFC 9700 §4.8.2: a verifier for a code issued without a challenge is refused (no PKCE downgrade)', async () => {
      const code = await codeFor(web.id);
      refused(await redeem({ code, redirect_uri: REDIRECT, code_verifier: pkcePair().verifier }, [web.id, web.secret!]));
    });
  });

  describe('RFC 6749 §4.1.3: the code is bound to its client and redirect URI', () => {
    test('a redirect URI other than the one used, or none when one was sent, is refused', async () => {
      const pkce = pkcePair();
      const code = await codeFor(spa.id, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
      const base = { code, client_id: spa.id, code_verifier: pkce.verifier };
      refused(await redeem({ ...base, redirect_uri: 'https://app.example/other' }));
      refused(await redeem(base));
      assert.equal((await redeem({ ...base, redirect_uri: REDIRECT })).status, 200);
    });

    test('RFC 6749 §3.1.2.3: a code asked for without redirect_uri is redeemed without one, or with the same', async () => {
      const code = await codeFor(web.id, { redirect_uri: undefined });
      refused(await redeem({ code, redirect_uri: 'https://app.example/other' }, [web.id, web.secret!]));
      assert.equal((await redeem({ code }, [web.id, web.secret!])).status, 200);
    });

    test('another client\'s code is refused like an unknown one, and left for its owner', async () => {
      const pkce = pkcePair();
      const code = await codeFor(spa.id, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
      refused(await redeem({ code, redirect_uri: REDIRECT, code_verifier: pkce.verifier, client_id: other.id }));
      refused(await redeem({ code: 'no-such-code-at-all', redirect_uri: REDIRECT, code_verifier: pkce.verifier, client_id: spa.id }));
      assert.equal((await redeem({ code, redirect_uri: REDIRECT, code_verifier: pkce.verifier, client_id: spa.id })).status, 200);
    });

    test('a client that lost the grant may not redeem (unauthorized_client, before the code is looked at)', async () => {
      const lost = await server.client({ type: 'public', grants: ['authorization_code'], redirectUris: [REDIRECT], consent: 'skip' });
      const pkce = pkcePair();
      const code = await codeFor(lost.id, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
      await server.app.store.updateClient(lost.id, { grants: ['password'] });
      const answer = await redeem({ code, redirect_uri: REDIRECT, code_verifier: pkce.verifier, client_id: lost.id });
      assert.equal(answer.body.error, 'unauthorized_client');
    });
  });

  describe('RFC 6749 §4.1.2: a code is short-lived and single use', () => {
    test('an expired code is refused (60 s by default)', async () => {
      const code = await codeFor(web.id);
      server.clock.advance(60);
      refused(await redeem({ code, redirect_uri: REDIRECT }, [web.id, web.secret!]));
    });

    test('a code is good until its last second', async () => {
      const code = await codeFor(web.id);
      server.clock.advance(59);
      assert.equal((await redeem({ code, redirect_uri: REDIRECT }, [web.id, web.secret!])).status, 200);
    });

    test('the second use is invalid_grant and revokes everything the first use issued, refreshes included', async () => {
      const code = await codeFor(web.id);
      const first = await redeem({ code, redirect_uri: REDIRECT }, [web.id, web.secret!]);
      assert.equal(first.status, 200);
      const refreshed = await postForm(
        `${server.url}/oauth/token`,
        { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string },
        { basic: [web.id, web.secret!], secrets: server.secrets },
      );
      assert.equal(refreshed.status, 200);
      assert.equal((await introspect(refreshed.body.access_token as string)).active, true);

      refused(await redeem({ code, redirect_uri: REDIRECT }, [web.id, web.secret!]));
      for (const token of [first.body.access_token, first.body.refresh_token, refreshed.body.access_token, refreshed.body.refresh_token]) {
        assert.equal((await introspect(token as string)).active, false);
      }
      await server.app.ctx.audit.flush();
      const replay = (await server.app.store.listAudit({ limit: 10, type: 'code.replayed' }))[0];
      assert.equal(replay?.clientId, web.id);
      assert.equal(replay?.username, 'alice');
    });

    test('two redemptions of one code at the same moment: one gets tokens, and they are revoked', async () => {
      for (let round = 0; round < 5; round++) {
        const code = await codeFor(web.id);
        const answers = await Promise.all([0, 1].map(() => redeem({ code, redirect_uri: REDIRECT }, [web.id, web.secret!])));
        assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 400], `round ${round}`);
        const winner = answers.find((answer) => answer.status === 200)!;
        assert.equal((await introspect(winner.body.access_token as string)).active, false, `round ${round}: the winner's tokens die`);
      }
    });

    test('a user disabled after the code was issued gets nothing for it', async () => {
      await server.user('mallory', 'mallory-password-1');
      const browser = new TestBrowser(server.url);
      const page = await browser.get(authorizePath({ client_id: web.id, redirect_uri: REDIRECT, response_type: 'code' }));
      const answer = await browser.post('/oauth/authorize', { ...hiddenFields(page.html), username: 'mallory', password: 'mallory-password-1' });
      const code = redirectParams(answer.location).code!;
      server.secrets.add(code);
      await setUserEnabled(server.app.store, server.clock, 'mallory', false);
      refused(await redeem({ code, redirect_uri: REDIRECT }, [web.id, web.secret!]));
    });
  });

  test('the code grant needs its code: a missing one is invalid_request', async () => {
    const answer = await redeem({ redirect_uri: REDIRECT }, [web.id, web.secret!]);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_request');
  });

  test('metadata announces the endpoint, the response type, S256 and iss (RFC 8414, RFC 9207)', async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.equal(metadata.authorization_endpoint, `${server.url}/oauth/authorize`);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.response_modes_supported, ['query']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.ok((metadata.grant_types_supported as string[]).includes('authorization_code'));
  });
});
