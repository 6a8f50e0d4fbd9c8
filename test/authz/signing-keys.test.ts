import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/core/clock.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

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
