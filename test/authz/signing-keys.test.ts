import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { ManualClock } from '../../src/core/clock.ts';
import { updateSettings } from '../../src/manage/settings.ts';
import { runCli } from '../helpers/cli.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';

interface Jwk {
  kid: string;
  alg: string;
  kty: string;
  use: string;
  d?: string;
}

// docs/tokens.md "Signing keys" and "Rotation"; the JWKS is RFC 7517 §5.
describe('signing keys', () => {
  let server: TestServer;
  let data: string[];

  async function jwks(): Promise<Jwk[]> {
    const response = await fetch(`${server.url}/oauth/jwks`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/jwk-set\+json/);
    return ((await response.json()) as { keys: Jwk[] }).keys;
  }

  before(async () => {
    // The CLI runs on the system clock, so the server's clock starts at the real time.
    server = await startTestServer({ clock: new ManualClock(Math.floor(Date.now() / 1000)) });
    data = ['--db', server.dbPath];
  });
  after(() => server.close());

  test('the first start makes one ES256 key, published without its private part, named in the metadata', async () => {
    const keys = await jwks();
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.alg, 'ES256');
    assert.equal(keys[0]!.kty, 'EC');
    assert.equal(keys[0]!.use, 'sig');
    assert.equal(keys[0]!.d, undefined);
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.equal(metadata.jwks_uri, `${server.url}/oauth/jwks`);

    // At rest the private half is sealed under the server key: no JWK field of it is in the database.
    const db = new Database(server.dbPath, { readonly: true });
    const row = db.prepare('SELECT public_jwk, private_sealed FROM signing_keys').get() as { public_jwk: string; private_sealed: string };
    db.close();
    assert.ok(!row.public_jwk.includes('"d"'));
    assert.match(row.private_sealed, /^v1\./);
    assert.ok(!row.private_sealed.includes('"d"'));
  });

  test('keys rotate publishes the next key at once, in the state next', async () => {
    const [first] = await jwks();
    const rotated = await runCli(['keys', 'rotate', '--alg', 'RS256', '--json', ...data]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const { kid, alg } = rotated.json<{ kid: string; alg: string }>();
    assert.equal(alg, 'RS256');
    assert.deepEqual((await jwks()).map((key) => key.kid), [first!.kid, kid]);

    const listed = (await runCli(['keys', 'list', '--json', ...data])).json<{ kid: string; state: string }[]>();
    assert.deepEqual(listed.map((key) => [key.kid, key.state]), [[first!.kid, 'current'], [kid, 'next']]);
    const human = await runCli(['keys', 'list', ...data]);
    assert.match(human.stdout, /kid\s+alg\s+state/);

    const badAlg = await runCli(['keys', 'rotate', '--alg', 'HS256', ...data]);
    assert.equal(badAlg.code, 1);
    assert.match(badAlg.stderr, /ES256, RS256, EdDSA/);
  });

  test('rotations racing on one database add one key', async () => {
    const before = (await jwks()).length;
    const results = await Promise.all([runCli(['keys', 'rotate', ...data]), runCli(['keys', 'rotate', ...data]), runCli(['keys', 'rotate', ...data])]);
    const after = (await jwks()).length;
    // Each run that succeeded added exactly one generation; the others were told another won.
    const won = results.filter((result) => result.code === 0).length;
    assert.ok(won >= 1);
    assert.equal(after - before, won);
    for (const result of results.filter((result) => result.code !== 0)) assert.match(result.stderr, /another rotation/);
  });
});

// docs/tokens.md "Rotation": signing_key_rotation_days rotates without an operator.
describe('scheduled rotation', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const jwks = async () => ((await (await fetch(`${server.url}/oauth/jwks`)).json()) as { keys: Jwk[] }).keys;
  const issue = async (client: { id: string; secret: string | undefined }) => {
    const answer = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, client.secret!] });
    assert.equal(answer.status, 200, answer.text);
    return answer.body.access_token as string;
  };

  test('adds the next key once the current one has signed that many days, then signs with it (EdDSA) after the publish delay', async () => {
    await server.scope('pub', ['pub']);
    const client = await server.client({ name: 'jwt-app', grants: ['client_credentials'], scopes: ['pub'], tokenFormat: 'jwt' });
    const [first] = await jwks();
    await updateSettings(server.app.store, { signingKeyRotationDays: 1, signingKeyAlgorithm: 'EdDSA', signingKeyPublishDelay: 60 }, server.clock);

    // Less than a day: nothing happens, whatever the reloads.
    server.clock.advance(86_400 - 60);
    assert.deepEqual((await jwks()).map((key) => key.kid), [first!.kid]);
    const before = await issue(client);
    assert.equal(decodeProtectedHeader(before).kid, first!.kid);

    // A day on: the next reload of the keys publishes a new EdDSA key, which does not sign yet.
    server.clock.advance(120);
    const published = await jwks();
    assert.equal(published.length, 2);
    const next = published.find((key) => key.kid !== first!.kid)!;
    assert.deepEqual([next.alg, next.kty], ['EdDSA', 'OKP']);
    assert.equal(decodeProtectedHeader(await issue(client)).kid, first!.kid, 'the publish delay has not passed');
    server.clock.advance(30);
    assert.equal((await jwks()).length, 2, 'one scheduled rotation, not one per reload');

    // After the publish delay the new key signs; tokens of both keys verify against the key set and at the gateway.
    server.clock.advance(60);
    const after = await issue(client);
    assert.deepEqual([decodeProtectedHeader(after).kid, decodeProtectedHeader(after).alg], [next.kid, 'EdDSA']);
    const keySet = createLocalJWKSet({ keys: await jwks() });
    for (const token of [before, after]) {
      await jwtVerify(token, keySet, { issuer: server.url, typ: 'at+jwt', currentDate: new Date(server.clock.nowSeconds() * 1000) });
      const whoami = await fetch(`${server.url}/invoke/pub.portcullis/whoami`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(whoami.status, 200, `${decodeProtectedHeader(token).alg} token at the gateway`);
    }
  });
});
