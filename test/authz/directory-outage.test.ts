import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setAcl } from '../../src/manage/acls.ts';
import { saveService } from '../../src/manage/services.ts';
import { ADMIN_PASSWORD, signIn } from '../helpers/admin.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { directoryEnv, group, GROUPS, person, requireSlapd, SERVICE_PASSWORD, type Slapd, startSlapd, userDn } from '../helpers/slapd.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

const TREE = [
  person('alice', 'alice-directory-password'),
  person('bob', 'bob-directory-password'),
  person('dave', 'dave-directory-password'),
  group('staff', [userDn('alice'), userDn('bob'), userDn('dave')]),
  group('portcullis-admins', [userDn('alice')], 'groupOfUniqueNames'),
].join('\n');

if (requireSlapd('directory outages against a real OpenLDAP')) {
  describe('when the directory is down or slow (docs/directory.md, "Failure modes")', () => {
    let slapd: Slapd;
    let server: TestServer;
    let upstream: Upstream;
    let basic: [string, string];

    const login = (username: string, password: string) =>
      postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password }, { basic, secrets: server.secrets });
    const call = (token: string) => fetch(`${server.url}/invoke/orders.v1/get`, { headers: { authorization: `Bearer ${token}` } });
    const readyz = async () => {
      const response = await fetch(`${server.url}/readyz`);
      return { status: response.status, body: (await response.json()) as { status: string; directory?: { status: string; required: boolean } } };
    };
    const expect503 = (answer: Awaited<ReturnType<typeof login>>) => {
      assert.equal(answer.status, 503, answer.text);
      assert.equal(answer.body.error, 'temporarily_unavailable');
      assert.equal(answer.headers.get('retry-after'), '5');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    };

    before(async () => {
      slapd = await startSlapd({ ldif: TREE });
      server = await startTestServer({ env: directoryEnv(slapd, { PORTCULLIS_DIRECTORY_POOL_SIZE: '1', PORTCULLIS_DIRECTORY_TIMEOUT_MS: '1000' }) });
      for (const password of [SERVICE_PASSWORD, 'alice-directory-password', 'bob-directory-password', 'dave-directory-password']) server.secrets.add(password);
      upstream = await startUpstream();
      await server.scope('orders', ['orders']);
      const client = await server.client({ grants: ['password'], scopes: ['orders'] });
      basic = [client.id, client.secret!];
      await saveService(server.app.store, server.clock, { name: 'orders.v1:get', upstream: `${upstream.url}/orders` });
      await setAcl(server.app.store, { resource: 'orders', allow: ['staff'], deny: [] });
    });

    after(async () => {
      assert.deepEqual(findLeaks(server?.logs ?? [], server?.secrets ?? []), [], 'no password, secret or token in any log line');
      await server?.close();
      await upstream?.close();
      await slapd?.close();
    });

    it('stopped mid-test: 503 for directory users, the local Administrator still logs in, cached groups still pass the ACL, and logins resume when it returns', async () => {
      const before = await login('alice', 'alice-directory-password');
      assert.equal(before.status, 200);
      const token = before.body.access_token as string;
      assert.equal((await readyz()).body.directory?.status, 'up');

      await slapd.stop();
      expect503(await login('alice', 'alice-directory-password'));
      expect503(await login('someone-unknown', 'whatever-password'));
      const admin = await login('Administrator', ADMIN_PASSWORD);
      assert.equal(admin.status, 200, 'local users never wait for the directory');
      await signIn(server);
      assert.equal((await call(token)).status, 200, 'the gateway uses the cached groups');

      // Past groups_max_age the gateway asks for a refresh; it fails, and the groups stay as they were.
      server.clock.advance(301);
      assert.equal((await call(token)).status, 200);
      await server.app.ctx.directory!.settled();
      assert.deepEqual((await server.app.store.findUser('alice'))?.groups, ['Administrators', 'staff'], 'never emptied by an outage');
      assert.equal((await call(token)).status, 200);

      const ready = await readyz();
      assert.equal(ready.status, 200, 'the directory is reported, not required');
      assert.deepEqual([ready.body.status, ready.body.directory?.status, ready.body.directory?.required], ['ready', 'down', false]);

      // More attempts than the (username, address) budget: none was a failure, so none is throttled later.
      for (let i = 0; i < 12; i++) expect503(await login('bob', 'bob-directory-password'));

      await slapd.start();
      assert.equal((await login('alice', 'alice-directory-password')).status, 200);
      assert.equal((await login('bob', 'bob-directory-password')).status, 200, 'the outage cost bob no throttle budget');
      // The probe result is kept for at most 5 s; the login above already saw the directory answer.
      assert.equal((await readyz()).body.directory?.status, 'up');
    });

    it('audits an unanswered login as login.unavailable, never as a failed password', async () => {
      await slapd.stop();
      try {
        expect503(await login('dave', 'dave-directory-password'));
        await server.app.ctx.audit.flush();
        const [last] = await server.app.store.listAudit({ limit: 1, type: 'login.unavailable' });
        assert.equal(last?.reason, 'directory_unavailable');
        assert.match(last?.username ?? '', /^unmatched:/);
      } finally {
        await slapd.start();
      }
    });

    it('slow (accepting connections, answering nothing): 503 within the timeout, and a full pool makes nobody wait forever', async () => {
      assert.equal((await login('dave', 'dave-directory-password')).status, 200);
      slapd.freeze();
      try {
        // Pool size 1: one login holds the only connection until its deadline; the others wait for
        // it only until theirs.
        const answers = await Promise.all([0, 1, 2].map(() => login('dave', 'dave-directory-password')));
        for (const answer of answers) expect503(answer);
        assert.equal((await login('Administrator', ADMIN_PASSWORD)).status, 200);
      } finally {
        slapd.thaw();
      }
      assert.equal((await login('dave', 'dave-directory-password')).status, 200, 'answering again');
    });

    it('the cached copy follows the directory: a group removed, then the user disabled, take effect after groups_max_age', async () => {
      const issued = await login('bob', 'bob-directory-password');
      const token = issued.body.access_token as string;
      assert.equal((await call(token)).status, 200);
      slapd.modify(`dn: cn=staff,${GROUPS}\nchangetype: modify\ndelete: member\nmember: ${userDn('bob')}\n`);
      assert.equal((await call(token)).status, 200, 'within groups_max_age the copy is used as it is');
      server.clock.advance(301);
      await call(token);
      await server.app.ctx.directory!.settled();
      assert.equal((await call(token)).status, 403, 'refreshed: no longer in staff');

      slapd.modify(`dn: ${userDn('bob')}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n`);
      server.clock.advance(301);
      await call(token);
      await server.app.ctx.directory!.settled();
      const after = await call(token);
      assert.equal(after.status, 401, 'disabled in the directory: the tokens ended');
      assert.equal((await server.app.store.findUser('bob'))?.enabled, false);
      await server.app.ctx.audit.flush();
      const [disabled] = await server.app.store.listAudit({ limit: 1, type: 'user.disabled' });
      assert.deepEqual([disabled?.username, disabled?.detail?.via], ['bob', 'directory']);
    });

    it('with directory.required_for_readiness, /readyz answers 503 while the directory is down', async () => {
      const strict = await startTestServer({ env: directoryEnv(slapd, { PORTCULLIS_DIRECTORY_REQUIRED_FOR_READINESS: 'true', PORTCULLIS_DIRECTORY_TIMEOUT_MS: '700' }) });
      try {
        assert.equal((await fetch(`${strict.url}/readyz`)).status, 200);
        await slapd.stop();
        // A login notices at once; the probe's answer is otherwise kept for up to 5 s.
        const client = await strict.client({ grants: ['password'] });
        await postForm(`${strict.url}/oauth/token`, { grant_type: 'password', username: 'dave', password: 'x-password' }, { basic: [client.id, client.secret!] });
        const down = await fetch(`${strict.url}/readyz`);
        assert.equal(down.status, 503);
        const body = (await down.json()) as { status: string; directory: { status: string; since: string; required: boolean } };
        assert.deepEqual([body.status, body.directory.status, body.directory.required], ['unavailable', 'down', true]);
        assert.ok(!Number.isNaN(Date.parse(body.directory.since)));
      } finally {
        await slapd.start();
        await strict.close();
      }
    });
  });
}
