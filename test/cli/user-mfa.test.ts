import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
// An independent TOTP implementation (RFC 6238): not the library the server uses.
import { generateSync } from 'otplib';
import { runCli, startServe, tempDb } from '../helpers/cli.ts';
import { postForm } from '../helpers/server.ts';

// docs/mfa.md "Enrolment", docs/cli.md: `portcullis user mfa enroll|reset|show`, spawned for real.
describe('portcullis user mfa', () => {
  const tmp = tempDb();
  const data = ['--db', tmp.db];
  after(() => tmp.cleanup());

  test('enroll prints a QR code, the otpauth URI and ten recovery codes; the factor works at the token endpoint; reset removes it', async () => {
    const created = await runCli(['user', 'create', '--username', 'alice', '--password-stdin', ...data], { stdin: 'alice password 1\n' });
    assert.equal(created.code, 0, created.stderr);
    const human = await runCli(['user', 'mfa', 'enroll', '--username', 'alice', ...data]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /[▀▄█]/, 'a QR code drawn with block characters');
    assert.match(human.stdout, /otpauth:\/\/totp\/Portcullis:alice\?/);
    assert.equal(human.stdout.match(/^ {2}[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/gm)?.length, 10);

    const twice = await runCli(['user', 'mfa', 'enroll', '--username', 'alice', ...data]);
    assert.equal(twice.code, 1);
    assert.equal(twice.stderr, 'portcullis: alice already has a second factor; reset it first\n');
    const shown = (await runCli(['user', 'mfa', 'show', '--username', 'alice', '--json', ...data])).json();
    assert.equal(shown.enrolled, true);
    assert.equal(shown.recovery_codes_left, 10);

    const reset = await runCli(['user', 'mfa', 'reset', '--username', 'alice', ...data]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, 'removed the second factor of alice\n');
    const again = await runCli(['user', 'mfa', 'reset', '--username', 'alice', ...data]);
    assert.equal(again.stderr, 'portcullis: alice has no second factor\n');
    const nobody = await runCli(['user', 'mfa', 'enroll', '--username', 'nobody', ...data]);
    assert.equal(nobody.stderr, 'portcullis: no user nobody\n');

    const enrolled = (await runCli(['user', 'mfa', 'enroll', '--username', 'alice', '--json', ...data])).json();
    const secret = enrolled.secret as string;
    const client = (await runCli(['client', 'create', '--name', 'app', '--type', 'confidential', '--grants', 'password', '--json', ...data])).json();
    // The policy from apply: `optional` asks users who enrolled.
    const setup = join(tmp.dir, 'setup.yaml');
    writeFileSync(setup, 'settings:\n  mfa_policy: optional\n  require_https: false\n');
    const applied = await runCli(['apply', '-f', setup, ...data]);
    assert.equal(applied.code, 0, applied.stderr);

    const serve = await startServe(data);
    try {
      const basic: [string, string] = [client.client_id as string, client.client_secret as string];
      const asked = await postForm(`${serve.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'alice password 1' }, { basic });
      assert.equal(asked.status, 403);
      assert.equal(asked.body.error, 'mfa_required');
      const otp = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) });
      const direct = await postForm(`${serve.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'alice password 1', otp }, { basic });
      assert.equal(direct.status, 200, direct.text);
    } finally {
      await serve.stop();
    }
  });
});
