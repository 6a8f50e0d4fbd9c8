import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
// An independent TOTP implementation (RFC 6238): not the library the server uses.
import { generateSync } from 'otplib';
import { systemClock } from '../../src/core/clock.ts';
import { Argon2Hasher } from '../../src/core/password-hash.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { createGroup } from '../../src/manage/groups.ts';
import { updateSettings } from '../../src/manage/settings.ts';
import { createUser } from '../../src/manage/users.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';

const MFA_OTP = 'urn:portcullis:params:oauth:grant-type:mfa-otp';
const MFA_RECOVERY = 'urn:portcullis:params:oauth:grant-type:mfa-recovery-code';

// docs/mfa.md "Clusters": two `portcullis serve` processes on one PostgreSQL database with the shared
// server key: an mfa_token made on one instance is redeemed on the other, and single use holds across both.
if (await requirePostgres('MFA across two instances on PostgreSQL')) {
  describe('MFA across two instances on one PostgreSQL', () => {
    let database: TestDatabase;
    let store: PostgresStore;
    let nodes: [ServerProcess, ServerProcess];
    let basic: [string, string];

    before(async () => {
      database = await createTestDatabase();
      store = new PostgresStore(database.url);
      await store.migrate();
      const { client, secret } = await registerClient(store, systemClock, { name: 'mfa-cluster-app', type: 'confidential', grants: ['password', MFA_OTP, MFA_RECOVERY] });
      basic = [client.id, secret!];
      await createGroup(store, 'staff', systemClock);
      await createUser(store, new Argon2Hasher(), systemClock, { username: 'alice', password: 'correct horse battery', groups: ['staff'] });
      await updateSettings(store, { mfaPolicy: 'required', mfaRequiredGroups: ['staff'] }, systemClock);
      nodes = (await Promise.all([0, 1].map(() => startServerProcess(database.env)))) as [ServerProcess, ServerProcess];
    });

    after(async () => {
      await Promise.all((nodes ?? []).map((node) => node.stop()));
      await store?.close();
      await database?.drop();
    });

    const login = (node: ServerProcess) =>
      postForm(`${node.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'correct horse battery' }, { basic });

    it('the mfa_token of A enrols on B and is redeemed on B; the code is refused again on A; a recovery code raced on both is spent once', async () => {
      const [a, b] = nodes;
      const first = await login(a);
      assert.equal(first.status, 403);
      assert.equal(first.body.error, 'mfa_required');
      const mfaToken = first.body.mfa_token as string;

      const associated = await fetch(`${b.url}/oauth/mfa/associate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mfaToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ authenticator_types: ['otp'] }),
      });
      assert.equal(associated.status, 200);
      const enrolment = (await associated.json()) as { secret: string; recovery_codes: string[] };
      // B opens the secret sealed by B's server key; A (the same key) checks codes against it below.
      const otp = generateSync({ secret: enrolment.secret, epoch: Math.floor(Date.now() / 1000) });
      const tokens = await postForm(`${b.url}/oauth/token`, { grant_type: MFA_OTP, mfa_token: mfaToken, otp }, { basic });
      assert.equal(tokens.status, 200, tokens.text);
      const reused = await postForm(`${a.url}/oauth/token`, { grant_type: MFA_OTP, mfa_token: mfaToken, otp }, { basic });
      assert.equal(reused.status, 400, 'the mfa_token is spent on every instance');

      const second = await login(a);
      const replay = await postForm(`${a.url}/oauth/token`, { grant_type: MFA_OTP, mfa_token: second.body.mfa_token as string, otp }, { basic });
      assert.equal(replay.status, 400);
      assert.match(replay.body.error_description as string, /already used/, 'the code accepted on B is a replay on A');

      const third = await login(b);
      const code = enrolment.recovery_codes[0]!;
      const raced = await Promise.all(
        [a, b].map((node) => postForm(`${node.url}/oauth/token`, { grant_type: MFA_RECOVERY, mfa_token: third.body.mfa_token as string, recovery_code: code }, { basic })),
      );
      assert.deepEqual(raced.map((res) => res.status).sort(), [200, 400], 'one instance wins');
    });
  });
}
