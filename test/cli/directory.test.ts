import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startServe, tempDb } from '../helpers/cli.ts';
import { postForm } from '../helpers/server.ts';
import { directoryEnv, group, person, requireSlapd, SERVICE_PASSWORD, type Slapd, startSlapd, userDn } from '../helpers/slapd.ts';

const TREE = [person('alice', 'alice-directory-password'), group('staff', [userDn('alice')])].join('\n');

if (requireSlapd('portcullis directory test against a real OpenLDAP')) {
  describe('portcullis directory test', () => {
    let slapd: Slapd;
    let tmp: ReturnType<typeof tempDb>;

    before(async () => {
      slapd = await startSlapd({ tls: true, ldif: TREE });
      tmp = tempDb();
    });
    after(async () => {
      tmp?.cleanup();
      await slapd?.close();
    });

    const run = (args: string[], env: Record<string, string> = directoryEnv(slapd), stdin?: string) =>
      runCli(['directory', 'test', '--db', tmp.db, ...args], { env, ...(stdin !== undefined ? { stdin } : {}) });

    it('checks the connection, the service bind, both bases and the local names; the bind password is never printed', async () => {
      const result = await run([]);
      assert.equal(result.code, 0, result.stderr);
      for (const step of ['connect ldap://127.0.0.1', 'service bind', 'user base', 'group base', 'local and directory names']) {
        assert.match(result.stdout, new RegExp(`^ok {4}${step.replace(/\./g, '\\.')}`, 'm'));
      }
      const json = await run(['--json']);
      const report = json.json<{ ok: boolean; settings: { bind_password: string } }>();
      assert.equal(report.ok, true);
      assert.equal(report.settings.bind_password, '******** (from the environment)');
      assert.ok(!`${result.stdout}${result.stderr}${json.stdout}`.includes(SERVICE_PASSWORD));
    });

    it('with --username and --password-stdin: the user\'s entry, bind and mapped groups', async () => {
      const result = await run(['--username', 'alice', '--password-stdin', '--json'], directoryEnv(slapd), 'alice-directory-password\n');
      assert.equal(result.code, 0, result.stderr);
      const report = result.json<{ steps: { step: string; ok: boolean }[]; user: { dn: string; groups: string[] } }>();
      assert.deepEqual(report.steps.filter((step) => ['user search', 'user bind'].includes(step.step)).map((step) => [step.step, step.ok]), [['user search', true], ['user bind', true]]);
      assert.deepEqual([report.user.dn, report.user.groups], [userDn('alice'), ['staff']]);
      assert.ok(!result.stdout.includes('alice-directory-password'));
    });

    it('a wrong password or an unknown user fails the check with exit status 1', async () => {
      const wrong = await run(['--username', 'alice', '--password-stdin'], directoryEnv(slapd), 'not-her-password');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stdout, /^FAIL {2}user bind: the directory refused the password$/m);
      assert.match(wrong.stderr, /directory test: 1 step\(s\) failed/);
      const unknown = await run(['--username', 'nobody']);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stdout, /^FAIL {2}user search: no entry matches uid=nobody/m);
    });

    it('an untrusted certificate is refused and reported; trusting the CA makes it pass', async () => {
      const ldaps = { ...directoryEnv(slapd), PORTCULLIS_DIRECTORY_URLS: slapd.ldapsUrl };
      const untrusted = await run([], ldaps);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stdout, /^FAIL {2}connect ldaps:\/\/localhost:\d+: .*certificate/m);
      const trusted = await run([], { ...ldaps, PORTCULLIS_DIRECTORY_CA_FILE: slapd.caFile });
      assert.equal(trusted.code, 0, trusted.stdout);
      assert.match(trusted.stdout, /connected, TLS certificate verified/);
    });

    it('without a directory configured: one clear line, exit status 1', async () => {
      const result = await run([], {});
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^portcullis: no directory is configured/);
    });

    it('directory users who have signed in appear, read-only, in user list', async () => {
      const serve = await startServe(['--db', tmp.db], { cwd: tmp.dir, env: { ...directoryEnv(slapd), PORTCULLIS_ADMIN_PASSWORD: 'admin-password-1' } });
      try {
        const client = await runCli(['client', 'create', '--db', tmp.db, '--name', 'cli-app', '--type', 'confidential', '--grants', 'password', '--json']);
        const { client_id, client_secret } = client.json<{ client_id: string; client_secret: string }>();
        const issued = await postForm(`${serve.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'alice-directory-password' }, { basic: [client_id, client_secret] });
        assert.equal(issued.status, 200, issued.text);
      } finally {
        await serve.stop();
      }
      const listed = await runCli(['user', 'list', '--db', tmp.db]);
      assert.match(listed.stdout, /^alice\s+staff\s+true\s+directory$/m);
      const refused = await runCli(['user', 'passwd', '--db', tmp.db, '--username', 'alice', '--password-stdin'], { stdin: 'new-password-1' });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /alice is a directory user/);
    });
  });
}
