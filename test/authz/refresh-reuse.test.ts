import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findLeaks, postForm, startTestServer } from '../helpers/server.ts';

async function setup(env: Record<string, string> = {}) {
  const server = await startTestServer({ env });
  const client = await server.client({ grants: ['password', 'refresh_token'] });
  await server.user('refresher', 'refresher password');
  const post = (params: Record<string, string>) =>
    postForm(`${server.url}/oauth/token`, params, { basic: [client.id, client.secret!], secrets: server.secrets });
  const login = async () => {
    const response = await post({ grant_type: 'password', username: 'refresher', password: 'refresher password' });
    assert.equal(response.status, 200);
    return response.body.refresh_token as string;
  };
  const refresh = (token: string) => post({ grant_type: 'refresh_token', refresh_token: token });
  return { server, login, refresh };
}

describe('refresh reuse, strict by default (docs/oauth.md)', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    ctx = await setup();
  });
  after(async () => {
    assert.deepEqual(findLeaks(ctx.server.logs, ctx.server.secrets), []);
    await ctx.server.close();
  });

  test('presenting the previous token at once revokes the family and is audited', async () => {
    const first = await ctx.login();
    const second = (await ctx.refresh(first)).body.refresh_token as string;
    const replay = await ctx.refresh(first);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.equal((await ctx.refresh(second)).status, 400, 'the family is revoked');
    await ctx.server.app.ctx.audit.flush();
    const events = await ctx.server.app.store.listAudit({ limit: 20 });
    assert.ok(events.some((event) => event.type === 'refresh.reuse_detected' && event.username === 'refresher'));
  });
});

describe('refresh reuse leeway (optional, PORTCULLIS_REFRESH_REUSE_LEEWAY)', () => {
  const LEEWAY = 10;
  let ctx: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    ctx = await setup({ PORTCULLIS_REFRESH_REUSE_LEEWAY: String(LEEWAY) });
  });
  after(async () => {
    assert.deepEqual(findLeaks(ctx.server.logs, ctx.server.secrets), []);
    await ctx.server.close();
  });

  test('the immediately previous token, within the leeway, is accepted once more and the family lives', async () => {
    const first = await ctx.login();
    const lost = await ctx.refresh(first); // the client never saw this answer
    assert.equal(lost.status, 200);
    ctx.server.clock.advance(LEEWAY);
    const retry = await ctx.refresh(first);
    assert.equal(retry.status, 200);
    const third = retry.body.refresh_token as string;
    assert.equal((await ctx.refresh(third)).status, 200);
  });

  test('after a retry, the original token is two steps back: reuse', async () => {
    const first = await ctx.login();
    const lost = (await ctx.refresh(first)).body.refresh_token as string;
    const retried = (await ctx.refresh(first)).body.refresh_token as string;
    // `lost` was rotated by the retry and is now the previous token of `retried`: within the
    // leeway it stands in for `retried`, as long as `retried` is unused.
    const viaLost = await ctx.refresh(lost);
    assert.equal(viaLost.status, 200);
    // Now `first` is two steps back: reuse, the whole family goes.
    const old = await ctx.refresh(first);
    assert.equal(old.status, 400);
    assert.equal((await ctx.refresh(viaLost.body.refresh_token as string)).status, 400);
    assert.ok(retried);
  });

  test('once the replacement has been used, the previous token is reuse', async () => {
    const first = await ctx.login();
    const second = (await ctx.refresh(first)).body.refresh_token as string;
    const third = (await ctx.refresh(second)).body.refresh_token as string;
    assert.equal((await ctx.refresh(first)).status, 400);
    assert.equal((await ctx.refresh(third)).status, 400, 'the family is revoked');
  });

  test('past the leeway, the previous token is reuse', async () => {
    const first = await ctx.login();
    const second = (await ctx.refresh(first)).body.refresh_token as string;
    ctx.server.clock.advance(LEEWAY + 1);
    assert.equal((await ctx.refresh(first)).status, 400);
    assert.equal((await ctx.refresh(second)).status, 400, 'the family is revoked');
  });

  test('two racing retries of the previous token: exactly one wins', async () => {
    const first = await ctx.login();
    assert.equal((await ctx.refresh(first)).status, 200);
    const results = await Promise.all([ctx.refresh(first), ctx.refresh(first)]);
    assert.deepEqual(results.map((response) => response.status).sort(), [200, 400]);
    // The loser presented a token that was two steps back by then: reuse, so the family is gone.
    const winner = results.find((response) => response.status === 200)!;
    assert.equal((await ctx.refresh(winner.body.refresh_token as string)).status, 400);
  });
});
