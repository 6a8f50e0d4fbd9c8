import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { systemClock } from '../../src/core/clock.ts';
import { parseServerKey, SecretBox } from '../../src/core/secret-box.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { updateSettings } from '../../src/manage/settings.ts';
import { rotateSigningKey } from '../../src/manage/signing-keys.ts';
import { jwtVerifier } from '../../src/resource/library.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';

/** Every instance of a cluster publishes the same issuer (docs/deployment.md). */
const ISSUER = 'https://auth.cluster.test';
const PUBLISH_DELAY = 3;

// docs/tokens.md "Rotation": two instances on one PostgreSQL, JWT access tokens issued by both
// without pause while the key rotates; every token keeps verifying at both gateways and in the library.
if (await requirePostgres('signing key rotation on a cluster (two instances on PostgreSQL)')) {
  describe('key rotation under load, two instances sharing PostgreSQL', () => {
    let database: TestDatabase;
    let stores: PostgresStore[];
    let nodes: ServerProcess[];
    let basic: [string, string];

    before(async () => {
      database = await createTestDatabase();
      stores = [new PostgresStore(database.url), new PostgresStore(database.url)];
      await stores[0]!.migrate();
      await saveScope(stores[0]!, { name: 'pub', description: '', resources: ['pub'] }, systemClock);
      const { client, secret } = await registerClient(stores[0]!, systemClock, {
        name: 'jwt-cluster',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['pub'],
        tokenFormat: 'jwt',
      });
      basic = [client.id, secret!];
      await updateSettings(stores[0]!, { signingKeyPublishDelay: PUBLISH_DELAY }, systemClock);
      // Instances re-read keys and settings every second (the default is 5).
      const env = { ...database.env, PORTCULLIS_ISSUER: ISSUER, PORTCULLIS_SETTINGS_MAX_AGE: '1' };
      nodes = await Promise.all([0, 1].map(() => startServerProcess(env)));
    });

    after(async () => {
      await Promise.all((nodes ?? []).map((node) => node.stop()));
      await Promise.all((stores ?? []).map((store) => store.close()));
      await database?.drop();
    });

    it('tokens issued just before and after a rotation verify everywhere; racing rotations add one key', async () => {
      const [a, b] = nodes as [ServerProcess, ServerProcess];
      // A resource server built on the library, started before the rotation: it caches the old key set.
      const library = jwtVerifier({ keys: `${a.url}/oauth/jwks`, issuer: ISSUER, audience: ISSUER, jwks: { cooldownSeconds: 1 } });
      const tokens: string[] = [];
      const failures: string[] = [];
      const check = async (token: string) => {
        for (const node of nodes) {
          const answer = await fetch(`${node.url}/invoke/pub.portcullis/whoami`, { headers: { authorization: `Bearer ${token}` } });
          if (answer.status !== 200) failures.push(`gateway ${node.url}: ${answer.status}`);
        }
        if (!(await library.verify(token))) failures.push('library refused');
      };

      // Both connections open, so that the two rotations below read the keys at the same moment.
      await Promise.all(stores.map((store) => store.listSigningKeys()));
      const box = new SecretBox(parseServerKey(database.env.PORTCULLIS_SECRET_KEY)!);
      const firstKid = decodeProtectedHeader((await postForm(`${a.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic })).body.access_token as string).kid;
      let rotations: PromiseSettledResult<unknown>[] = [];
      const deadline = Date.now() + (PUBLISH_DELAY + 4) * 1000;
      let rotated = false;
      // Four clients issuing and verifying without pause, alternating between the instances.
      await Promise.all(
        [0, 1, 2, 3].map(async (worker) => {
          for (let i = 0; Date.now() < deadline; i++) {
            const node = (worker + i) % 2 === 0 ? a : b;
            const issued = await postForm(`${node.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic });
            assert.equal(issued.status, 200, issued.text);
            const token = issued.body.access_token as string;
            tokens.push(token);
            await check(token);
            if (worker === 0 && !rotated && tokens.length > 20) {
              rotated = true;
              // Two operators (or two scheduled instances) rotating at the same moment, each on its own connection.
              rotations = await Promise.allSettled(stores.map((store) => rotateSigningKey(store, box, systemClock)));
            }
          }
        }),
      );

      assert.equal(rotations.filter((result) => result.status === 'fulfilled').length, 1, 'one rotation wins');
      const loser = rotations.find((result) => result.status === 'rejected');
      assert.match(String((loser as PromiseRejectedResult).reason), /another rotation/);
      assert.equal((await stores[0]!.listSigningKeys()).length, 2);

      const kids = new Set(tokens.map((token) => decodeProtectedHeader(token).kid));
      assert.equal(kids.size, 2, 'tokens were signed by the old key and then by the new one');
      assert.ok(kids.has(firstKid));
      assert.deepEqual(failures, []);
      // And once more at the end, the first tokens (signed by the now retired key) included.
      for (const token of [...tokens.slice(0, 5), ...tokens.slice(-5)]) await check(token);
      assert.deepEqual(failures, []);
    });
  });
}
