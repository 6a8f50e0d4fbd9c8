import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';

// docs/oauth.md: rotation is atomic in the database. Two presentations of one
// refresh token at the same moment give exactly one new token pair; the loser counts as reuse.

let server: TestServer;
let client: { id: string; secret: string };

before(async () => {
  server = await startTestServer();
  const c = await server.client({ name: 'racer', grants: ['password', 'refresh_token'] });
  client = { id: c.id, secret: c.secret! };
  await server.user('alice', 'alice-password-1');
});

after(() => server.close());

async function newRefreshToken(): Promise<string> {
  const res = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'alice-password-1' }, {
    basic: [client.id, client.secret],
  });
  return res.body.refresh_token as string;
}

for (const racers of [2, 8]) {
  it(`${racers} simultaneous refreshes with one token: exactly one succeeds, 20 times over`, async () => {
    for (let round = 0; round < 20; round++) {
      const refreshToken = await newRefreshToken();
      const results = await Promise.all(
        Array.from({ length: racers }, () =>
          postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, { basic: [client.id, client.secret] }),
        ),
      );
      const winners = results.filter((res) => res.status === 200);
      assert.equal(winners.length, 1, `round ${round}: ${results.map((res) => res.status).join(',')}`);
      for (const loser of results.filter((res) => res.status !== 200)) assert.equal(loser.body.error, 'invalid_grant');
      // The losers presented a token that had just been rotated: the family is revoked.
      const introspection = await postForm(`${server.url}/oauth/introspect`, { token: winners[0]!.body.refresh_token as string }, {
        basic: [client.id, client.secret],
      });
      assert.deepEqual(introspection.body, { active: false });
    }
  });
}
