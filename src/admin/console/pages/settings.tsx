import { useEffect, useState } from 'preact/hooks';
import { api, type Client, type Group } from '../api.ts';
import { Checkboxes, Field, type FieldErrors, FormError, Notice, errorsFrom, useLoad } from '../components.tsx';

interface Settings {
  access_token_ttl: number | 'never';
  require_https: boolean;
  authorization_code_ttl: number;
  require_pkce: boolean;
  login_session_idle_ttl: number;
  login_session_max_ttl: number;
  approval_page_title: string;
  approval_page_logo_url: string;
  approval_page_heading: string;
  approval_page_footer: string;
  password_min_length: number;
  mfa_policy: 'off' | 'optional' | 'required';
  mfa_required_groups: string[];
  mfa_required_clients: string[];
}

/** The form's text fields, by setting: what the inputs hold before they are checked. */
type Texts = Record<
  | 'access_token_ttl'
  | 'authorization_code_ttl'
  | 'login_session_idle_ttl'
  | 'login_session_max_ttl'
  | 'approval_page_title'
  | 'approval_page_logo_url'
  | 'approval_page_heading'
  | 'approval_page_footer'
  | 'password_min_length',
  string
>;

const SECONDS = /^[1-9]\d*$/;

function check(texts: Texts): FieldErrors {
  const errors: FieldErrors = {};
  if (!/^(never|[1-9]\d*)$/.test(texts.access_token_ttl.trim())) errors.access_token_ttl = 'never, or a positive number of seconds';
  if (!SECONDS.test(texts.authorization_code_ttl.trim()) || Number(texts.authorization_code_ttl) > 600) errors.authorization_code_ttl = '1 to 600 seconds';
  if (!SECONDS.test(texts.login_session_idle_ttl.trim())) errors.login_session_idle_ttl = 'a positive number of seconds';
  if (!SECONDS.test(texts.login_session_max_ttl.trim())) errors.login_session_max_ttl = 'a positive number of seconds';
  const minLength = texts.password_min_length.trim();
  if (!SECONDS.test(minLength) || Number(minLength) < 8 || Number(minLength) > 128) errors.password_min_length = 'a whole number from 8 to 128';
  const logo = texts.approval_page_logo_url.trim();
  if (logo !== '' && !/^https:\/\/\S+$/.test(logo)) errors.approval_page_logo_url = 'an https URL, or empty for none';
  return errors;
}

export function SettingsPage() {
  const settings = useLoad(() => api<Settings>('GET', '/settings'));
  const [texts, setTexts] = useState<Texts>();
  const [requireHttps, setRequireHttps] = useState(true);
  const [requirePkce, setRequirePkce] = useState(false);
  const groups = useLoad(() => api<Group[]>('GET', '/groups'));
  const clients = useLoad(() => api<Client[]>('GET', '/clients'));
  const [mfaPolicy, setMfaPolicy] = useState<Settings['mfa_policy']>('off');
  const [mfaGroups, setMfaGroups] = useState<string[]>([]);
  const [mfaClients, setMfaClients] = useState<string[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const data = settings.data;
    if (!data) return;
    setTexts({
      access_token_ttl: String(data.access_token_ttl),
      authorization_code_ttl: String(data.authorization_code_ttl),
      login_session_idle_ttl: String(data.login_session_idle_ttl),
      login_session_max_ttl: String(data.login_session_max_ttl),
      approval_page_title: data.approval_page_title,
      approval_page_logo_url: data.approval_page_logo_url,
      approval_page_heading: data.approval_page_heading,
      approval_page_footer: data.approval_page_footer,
      password_min_length: String(data.password_min_length),
    });
    setRequireHttps(data.require_https);
    setRequirePkce(data.require_pkce);
    setMfaPolicy(data.mfa_policy);
    setMfaGroups(data.mfa_required_groups);
    setMfaClients(data.mfa_required_clients);
  }, [settings.data]);
  if (!texts) return <p class="muted">Loading…</p>;
  const set = (patch: Partial<Texts>) => setTexts({ ...texts, ...patch });
  const text = (name: keyof Texts, label: string, hint?: string, id = `settings-${name.replace(/_/g, '-')}`) => (
    <Field id={id} label={label} error={errors[name]} hint={hint}>
      <input id={id} value={texts[name]} onInput={(e) => set({ [name]: e.currentTarget.value })} />
    </Field>
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const found = check(texts);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const ttl = texts.access_token_ttl.trim();
    try {
      await api('PATCH', '/settings', {
        access_token_ttl: ttl === 'never' ? 'never' : Number(ttl),
        require_https: requireHttps,
        authorization_code_ttl: Number(texts.authorization_code_ttl),
        require_pkce: requirePkce,
        login_session_idle_ttl: Number(texts.login_session_idle_ttl),
        login_session_max_ttl: Number(texts.login_session_max_ttl),
        approval_page_title: texts.approval_page_title.trim(),
        approval_page_logo_url: texts.approval_page_logo_url.trim(),
        approval_page_heading: texts.approval_page_heading.trim(),
        approval_page_footer: texts.approval_page_footer.trim(),
        password_min_length: Number(texts.password_min_length),
        mfa_policy: mfaPolicy,
        mfa_required_groups: mfaGroups,
        mfa_required_clients: mfaClients,
      });
      setSaved(true);
      settings.reload();
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  return (
    <section>
      <header class="page-header">
        <h2>OAuth settings</h2>
      </header>
      {saved && <Notice kind="success">Settings saved. Every instance applies them within its settings cache age.</Notice>}
      <form class="card form" onSubmit={submit} noValidate>
        <FormError errors={errors} />
        {text('access_token_ttl', 'Default access-token lifetime', 'seconds, or never; clients set to global use it', 'settings-ttl')}
        <label class="check">
          <input type="checkbox" id="settings-https" checked={requireHttps} onChange={(e) => setRequireHttps(e.currentTarget.checked)} />
          Require HTTPS at the OAuth endpoints and the sign-in pages (requests from loopback count as secure)
        </label>
        {!requireHttps && (
          <Notice kind="warning">
            Without HTTPS, passwords, client secrets and tokens cross the network in clear text. Switch this off only behind a
            TLS-terminating proxy that Portcullis trusts, or for local testing.
          </Notice>
        )}
        <h3>Authorization code grant</h3>
        <div class="row">
          {text('authorization_code_ttl', 'Authorization code lifetime', 'seconds, at most 600')}
          <label class="check">
            <input type="checkbox" id="settings-pkce" checked={requirePkce} onChange={(e) => setRequirePkce(e.currentTarget.checked)} />
            Require PKCE from confidential clients too (public clients always need it)
          </label>
        </div>
        <div class="row">
          {text('login_session_idle_ttl', 'Sign-in session idle limit', 'seconds a session may go unused')}
          {text('login_session_max_ttl', 'Sign-in session lifetime', 'seconds after the sign-in, however busy')}
        </div>
        <h3>Sign-in and approval pages</h3>
        <div class="row">
          {text('approval_page_title', 'Title', 'shown at the top of every page and in the browser tab')}
          {text('approval_page_logo_url', 'Logo URL', 'an https URL, or empty for none')}
        </div>
        <div class="row">
          {text('approval_page_heading', 'Approval heading', 'the question the approval page asks')}
          {text('approval_page_footer', 'Footer', 'a line under every page, such as whom to call for help')}
        </div>
        <h3>Passwords</h3>
        {text('password_min_length', 'Shortest password', 'characters, 8 to 128; checked when a password is set, not at sign-in')}
        <h3>Second factor (MFA)</h3>
        <Field id="settings-mfa-policy" label="MFA policy" error={errors.mfa_policy} hint="who gives a one-time password after a correct password">
          <select id="settings-mfa-policy" value={mfaPolicy} onChange={(e) => setMfaPolicy(e.currentTarget.value as Settings['mfa_policy'])}>
            <option value="off">off: nobody is asked</option>
            <option value="optional">optional: users who enrolled are asked</option>
            <option value="required">required: the groups and clients below (everybody when none is chosen)</option>
          </select>
        </Field>
        {mfaPolicy === 'required' && (
          <div class="row">
            <Field id="settings-mfa-groups" label="Required for the users of" error={errors.mfa_required_groups}>
              <Checkboxes id="settings-mfa-groups" options={(groups.data ?? []).map((group) => group.name)} selected={mfaGroups} onChange={setMfaGroups} />
            </Field>
            <Field id="settings-mfa-clients" label="Required for logins through" error={errors.mfa_required_clients}>
              <Checkboxes
                id="settings-mfa-clients"
                options={(clients.data ?? []).map((client) => client.client_id)}
                label={(id) => clients.data?.find((client) => client.client_id === id)?.name ?? id}
                selected={mfaClients}
                onChange={setMfaClients}
              />
            </Field>
          </div>
        )}
        <div class="actions">
          <button type="submit">Save settings</button>
        </div>
      </form>
    </section>
  );
}
