import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { UserError } from '../../src/core/errors.ts';
import { Argon2Hasher } from '../../src/core/password-hash.ts';
import { applySetup, parseSetup } from '../../src/manage/apply.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// The setup file of `portcullis apply -f`: each mistake is reported once, with the path to it.
describe('apply: errors name the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-apply-'));
  const store = new SqliteStore(join(dir, 'portcullis.db'));
  const env = { SOME_SECRET: 'a-secret-of-sixteen-or-more' };
  before(() => store.migrate());
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string, RegExp][] = [
    ['unknown top-level key', 'scopes: []\nwidgets: []\n', /^setup: unknown key widgets$/],
    ['unknown client key', 'clients:\n  - name: A\n    type: public\n    grants: [password]\n    colour: red\n', /^clients\[0\]: unknown key colour$/],
    ['client without a name', 'clients:\n  - type: public\n', /^clients\[0\]\.name is required$/],
    ['new client without a type', 'clients:\n  - name: A\n    grants: [password]\n', /^clients\[0\]\.type is required$/],
    ['unknown grant', 'clients:\n  - name: A\n    type: public\n    grants: [implicit]\n', /^clients\[0\] \(A\): unknown grant implicit/],
    ['grants not a list', 'clients:\n  - name: B\n    version: "1"\n    type: public\n    grants: password\n', /^clients\[0\]\.grants must be a list of strings$/],
    ['bad refresh_limit', 'clients:\n  - name: B\n    type: public\n    grants: [password]\n    refresh_limit: -1\n', /^clients\[0\] \(B\): refresh_limit must be an integer of at least 0$/],
    ['introspect not a boolean', 'clients:\n  - name: B\n    type: public\n    grants: [password]\n    introspect: "yes"\n', /^clients\[0\]\.introspect must be true or false$/],
    ['secret_env not set', 'clients:\n  - name: C\n    type: confidential\n    grants: [password]\n    secret_env: NOT_SET_ANYWHERE\n', /^clients\[0\]\.secret_env: environment variable NOT_SET_ANYWHERE is not set$/],
    ['public client with a secret', 'clients:\n  - name: D\n    type: public\n    grants: [password]\n    secret_env: SOME_SECRET\n', /^clients\[0\] \(D\): a public client has no secret$/],
    ['unknown service user', 'clients:\n  - name: E\n    type: confidential\n    grants: [client_credentials]\n    service_user: ghost\n', /^clients\[0\] \(E\): service user ghost does not exist$/],
    ['user without a password', 'users:\n  - username: zed\n', /^users\[0\] \(zed\): a new user needs exactly one of password_env or password_hash$/],
    ['user with both', 'users:\n  - username: zed\n    password_env: SOME_SECRET\n    password_hash: "$argon2id$x"\n', /^users\[0\] \(zed\): a new user needs exactly one/],
    ['plain password as password_hash', 'users:\n  - username: zed\n    password_hash: hunter2-plain\n', /^users\[0\] \(zed\): the password hash must be argon2/],
    ['user with an unknown group', 'users:\n  - username: zed\n    password_env: SOME_SECRET\n    groups: [ghosts]\n', /^users\[0\] \(zed\): .*ghosts/],
    ['user groups not a list', 'users:\n  - username: zed\n    password_env: SOME_SECRET\n    groups: sales\n', /^users\[0\]\.groups must be a list of strings$/],
    ['bad scope name', 'scopes:\n  - name: ok\n  - name: not ok\n', /^scopes\[1\] \(not ok\): scope names are/],
    ['scope resources not a list', 'scopes:\n  - name: s\n    resources: orders\n', /^scopes\[0\]\.resources must be a list of strings$/],
    ['bad scope resource', 'scopes:\n  - name: s\n    resources: ["GET no-slash"]\n', /^scopes\[0\] \(s\): resource "GET no-slash" is not/],
    ['bad setting', 'settings:\n  access_token_ttl: soon\n', /^settings\.access_token_ttl: access_token_ttl must be an integer of at least 1$/],
    ['unknown setting', 'settings:\n  require_http: false\n', /^settings: unknown key require_http$/],
    ['code lifetime over 600 s', 'settings:\n  authorization_code_ttl: 601\n', /^settings: authorization_code_ttl must be a whole number of seconds from 1 to 600$/],
    ['a logo over http', 'settings:\n  approval_page_logo_url: http://cdn.example/logo.png\n', /^settings: approval_page_logo_url must be an https URL/],
    ['bad redirect URI', 'clients:\n  - name: F\n    type: public\n    grants: [authorization_code]\n    redirect_uris: ["https://a.example/cb#x"]\n', /^clients\[0\] \(F\): a redirect URI must not have a fragment/],
    ['code grant without a redirect URI', 'clients:\n  - name: F\n    type: public\n    grants: [authorization_code]\n', /^clients\[0\] \(F\): the authorization_code grant needs at least one redirect URI$/],
    ['bad consent', 'clients:\n  - name: F\n    type: public\n    grants: [password]\n    consent: never\n', /^clients\[0\] \(F\): consent must be one of always, remember, skip$/],
    ['groups not a list', 'groups: sales\n', /^groups must be a list of names$/],
    ['bad group name', 'groups: [ok, "no/slash"]\n', /^groups: no\/slash: group names are/],
    ['clients not a list of mappings', 'clients: [shop]\n', /^clients must be a list of mappings$/],
    ['not YAML', 'clients: [\n', /^not valid YAML/],
    ['not a mapping', '- a\n', /^the setup file must be a mapping$/],
  ];
  for (const [name, text, message] of cases) {
    test(name, async () => {
      await assert.rejects(
        async () => applySetup(store, new Argon2Hasher(), new ManualClock(), parseSetup(text), env),
        (error: unknown) => {
          assert.ok(error instanceof UserError, String(error));
          assert.match(error.message, message);
          return true;
        },
      );
      assert.equal(await store.findUser('zed'), undefined, 'nothing half-created');
    });
  }

  test('an existing client keeps its type: the file cannot say otherwise, nor give a public client a secret', async () => {
    const apply = (text: string) => applySetup(store, new Argon2Hasher(), new ManualClock(), parseSetup(text), env);
    await apply('clients:\n  - client_id: kiosk\n    name: Kiosk\n    type: public\n    grants: [password]\n');
    await assert.rejects(
      apply('clients:\n  - client_id: kiosk\n    name: Kiosk\n    type: confidential\n    grants: [password]\n'),
      /^UserError: clients\[0\] \(Kiosk\): client kiosk is public; its type cannot change$/,
    );
    await assert.rejects(
      apply('clients:\n  - client_id: kiosk\n    name: Kiosk\n    grants: [password]\n    secret_env: SOME_SECRET\n'),
      /^UserError: clients\[0\] \(Kiosk\): a public client has no secret$/,
    );
    const kiosk = await store.findClient('kiosk');
    assert.equal(kiosk?.secretHash, null);
    const again = await apply('clients:\n  - client_id: kiosk\n    name: Kiosk\n    type: public\n    grants: [password, refresh_token]\n');
    assert.deepEqual(again.changes, [{ kind: 'client', name: 'Kiosk', client_id: 'kiosk', outcome: 'updated' }]);
  });

  test('the authorization code grant: redirect_uris, consent and the sign-in page settings, applied twice alike', async () => {
    const text = [
      'settings:',
      '  authorization_code_ttl: 120',
      '  require_pkce: true',
      '  login_session_idle_ttl: 600',
      '  login_session_max_ttl: 7200',
      '  approval_page_title: Acme sign-in',
      '  approval_page_logo_url: https://acme.example/logo.svg',
      '  approval_page_heading: Let this app in?',
      '  approval_page_footer: Questions? Call the help desk.',
      'clients:',
      '  - client_id: acme-spa',
      '    name: Acme SPA',
      '    type: public',
      '    grants: [authorization_code, refresh_token]',
      '    redirect_uris: [https://acme.example/callback, http://127.0.0.1/cb]',
      '    consent: skip',
      '',
    ].join('\n');
    for (let round = 0; round < 2; round++) {
      await applySetup(store, new Argon2Hasher(), new ManualClock(), parseSetup(text), env);
      const client = await store.findClient('acme-spa');
      assert.deepEqual(client?.redirectUris, ['https://acme.example/callback', 'http://127.0.0.1/cb']);
      assert.equal(client?.consent, 'skip');
      const settings = await store.getSettings();
      assert.equal(settings.authorizationCodeTtl, 120);
      assert.equal(settings.requirePkce, true);
      assert.equal(settings.loginSessionIdleTtl, 600);
      assert.equal(settings.loginSessionMaxTtl, 7200);
      assert.equal(settings.approvalPageTitle, 'Acme sign-in');
      assert.equal(settings.approvalPageLogoUrl, 'https://acme.example/logo.svg');
      assert.equal(settings.approvalPageHeading, 'Let this app in?');
      assert.equal(settings.approvalPageFooter, 'Questions? Call the help desk.');
    }
  });
});
