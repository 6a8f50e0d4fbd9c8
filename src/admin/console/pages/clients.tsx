import { useState } from 'preact/hooks';
import { api, type Client, enc, type Scope } from '../api.ts';
import {
  Checkboxes,
  ConfirmButton,
  DataTable,
  Field,
  type FieldErrors,
  FormError,
  Notice,
  SecretPanel,
  clientLabel,
  errorsFrom,
  useLoad,
} from '../components.tsx';
import { LiveGrantsSection, RecentEventsSection } from './activity.tsx';
import { ClientConsentsSection } from './sign-in.tsx';

const GRANTS = ['authorization_code', 'password', 'refresh_token', 'client_credentials'];
const CONSENT_MODES: { value: ClientFormValues['consent']; label: string }[] = [
  { value: 'remember', label: 'remember: ask until the user has approved the scopes' },
  { value: 'always', label: 'always: ask every time' },
  { value: 'skip', label: 'skip: never ask (first-party applications only)' },
];

interface ClientFormValues {
  name: string;
  version: string;
  description: string;
  type: 'confidential' | 'public';
  grants: string[];
  scopes: string[];
  accessTtl: string;
  refreshLimit: string;
  refreshTtl: string;
  serviceUser: string;
  introspect: boolean;
  trustedForEndUserAddress: boolean;
  /** One per line. */
  redirectUris: string;
  consent: 'always' | 'remember' | 'skip';
  tokenFormat: 'opaque' | 'jwt';
}

function valuesOf(client: Client): ClientFormValues {
  return {
    name: client.name,
    version: client.version,
    description: client.description,
    type: client.type,
    grants: client.grants,
    scopes: client.scopes,
    accessTtl: String(client.access_token_ttl),
    refreshLimit: client.refresh_limit === null ? '' : String(client.refresh_limit),
    refreshTtl: String(client.refresh_token_ttl),
    serviceUser: client.service_user ?? '',
    introspect: client.introspect,
    trustedForEndUserAddress: client.trusted_for_end_user_address,
    redirectUris: client.redirect_uris.join('\n'),
    consent: client.consent,
    tokenFormat: client.token_format,
  };
}

const EMPTY: ClientFormValues = {
  name: '',
  version: '',
  description: '',
  type: 'confidential',
  grants: ['password', 'refresh_token'],
  scopes: [],
  accessTtl: 'global',
  refreshLimit: '',
  refreshTtl: String(30 * 24 * 3600),
  serviceUser: '',
  introspect: false,
  trustedForEndUserAddress: false,
  redirectUris: '',
  consent: 'remember',
  tokenFormat: 'opaque',
};

function redirectUriList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Checks what can be checked here; the server checks everything again and names the field it rejects. */
function validate(values: ClientFormValues): FieldErrors {
  const errors: FieldErrors = {};
  if (values.name.trim() === '') errors.name = 'name is required';
  if (values.grants.length === 0) errors.grants = 'choose at least one grant';
  // Empty means global, as an empty refresh limit means unlimited beside it.
  if (!/^(|global|never|[1-9]\d*)$/.test(values.accessTtl.trim())) errors.access_token_ttl = 'global, never, or a number of seconds (empty = global)';
  if (values.refreshLimit.trim() !== '' && !/^\d+$/.test(values.refreshLimit.trim())) errors.refresh_limit = 'a whole number, or empty for unlimited';
  if (!/^[1-9]\d*$/.test(values.refreshTtl.trim())) errors.refresh_token_ttl = 'a positive number of seconds';
  if (values.grants.includes('authorization_code') && redirectUriList(values.redirectUris).length === 0) {
    errors.redirect_uris = 'the authorization_code grant needs at least one redirect URI';
  }
  return errors;
}

function toBody(values: ClientFormValues, create: boolean): Record<string, unknown> {
  const ttl = values.accessTtl.trim() || 'global';
  const body: Record<string, unknown> = {
    name: values.name.trim(),
    version: values.version.trim(),
    description: values.description,
    grants: values.grants,
    scopes: values.scopes,
    access_token_ttl: ttl === 'global' || ttl === 'never' ? ttl : Number(ttl),
    refresh_limit: values.refreshLimit.trim() === '' ? null : Number(values.refreshLimit),
    refresh_token_ttl: Number(values.refreshTtl.trim()),
    service_user: values.serviceUser.trim() === '' ? null : values.serviceUser.trim(),
    introspect: values.introspect,
    trusted_for_end_user_address: values.trustedForEndUserAddress,
    redirect_uris: redirectUriList(values.redirectUris),
    consent: values.consent,
    token_format: values.tokenFormat,
  };
  if (create) body.type = values.type;
  return body;
}

function PasswordGrantWarning() {
  return (
    <Notice kind="warning">
      <strong>The password grant is the least secure grant.</strong> The client handles the user's password itself, so a
      compromised or careless client exposes it; the user cannot see or limit what the client does, and the grant cannot
      use multi-factor sign-in. Enable it only for trusted first-party clients (your own native app, CLI or test
      automation). Portcullis throttles guessing and never lets an unauthorised client verify passwords.
    </Notice>
  );
}

function ClientForm(props: {
  initial: ClientFormValues;
  create: boolean;
  scopes: Scope[];
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
}) {
  const [values, setValues] = useState(props.initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<ClientFormValues>) => setValues({ ...values, ...patch });
  const submit = async (event: Event) => {
    event.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await props.onSubmit(toBody(values, props.create));
    } catch (caught) {
      setErrors(errorsFrom(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={submit} noValidate>
      <FormError errors={errors} />
      <div class="row">
        <Field id="client-name" label="Name" error={errors.name}>
          <input id="client-name" value={values.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
        <Field id="client-version" label="Version" error={errors.version} hint="name and version are unique together">
          <input id="client-version" value={values.version} onInput={(e) => set({ version: e.currentTarget.value })} />
        </Field>
      </div>
      <Field id="client-description" label="Description" error={errors.description}>
        <input id="client-description" value={values.description} onInput={(e) => set({ description: e.currentTarget.value })} />
      </Field>
      {props.create && (
        <Field id="client-type" label="Type" error={errors.type} hint="a confidential client has a secret; a public one (a native app) has only its id">
          <select id="client-type" value={values.type} onChange={(e) => set({ type: e.currentTarget.value as ClientFormValues['type'] })}>
            <option value="confidential">confidential</option>
            <option value="public">public</option>
          </select>
        </Field>
      )}
      <Field id="client-grants" label="Allowed grants" error={errors.grants}>
        <Checkboxes id="client-grants" options={GRANTS} selected={values.grants} onChange={(grants) => set({ grants })} />
      </Field>
      {values.grants.includes('password') && <PasswordGrantWarning />}
      <Field id="client-token-format" label="Access tokens" error={errors.token_format} hint="JWTs are checked offline by resource servers until they expire (default 5 minutes)">
        <select id="client-token-format" value={values.tokenFormat} onChange={(e) => set({ tokenFormat: e.currentTarget.value as ClientFormValues['tokenFormat'] })}>
          <option value="opaque">opaque: checked at Portcullis on every use</option>
          <option value="jwt">JWT (RFC 9068): signed, verifiable offline</option>
        </select>
      </Field>
      {values.grants.includes('authorization_code') && (
        <div class="row">
          <Field
            id="client-redirect-uris"
            label="Redirect URIs"
            error={errors.redirect_uris}
            hint="one per line; matched exactly (any port for http://127.0.0.1 and http://[::1]); https, loopback http, or an app scheme such as com.example.app:/callback"
          >
            <textarea
              id="client-redirect-uris"
              rows={3}
              value={values.redirectUris}
              aria-describedby={errors.redirect_uris ? 'client-redirect-uris-error' : undefined}
              onInput={(e) => set({ redirectUris: e.currentTarget.value })}
            />
          </Field>
          <Field id="client-consent" label="Approval page" error={errors.consent} hint="when the user is asked to approve this client">
            <select id="client-consent" value={values.consent} onChange={(e) => set({ consent: e.currentTarget.value as ClientFormValues['consent'] })}>
              {CONSENT_MODES.map((mode) => (
                <option key={mode.value} value={mode.value}>
                  {mode.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
      )}
      <Field id="client-scopes" label="Scopes" error={errors.scopes} hint="the scopes this client may request">
        <Checkboxes
          id="client-scopes"
          options={props.scopes.map((scope) => scope.name)}
          selected={values.scopes}
          onChange={(scopes) => set({ scopes })}
          empty="No scopes yet: create them on the Scopes page."
        />
      </Field>
      <div class="row">
        <Field id="client-access-ttl" label="Access-token lifetime" error={errors.access_token_ttl} hint="global, never, or seconds; empty = global">
          <input id="client-access-ttl" value={values.accessTtl} onInput={(e) => set({ accessTtl: e.currentTarget.value })} />
        </Field>
        <Field id="client-refresh-limit" label="Refresh limit" error={errors.refresh_limit} hint="refreshes per grant; 0 = no refresh token; empty = unlimited">
          <input id="client-refresh-limit" value={values.refreshLimit} onInput={(e) => set({ refreshLimit: e.currentTarget.value })} />
        </Field>
      </div>
      <div class="row">
        <Field id="client-refresh-ttl" label="Refresh-token lifetime" error={errors.refresh_token_ttl} hint="seconds (30 days = 2592000)">
          <input id="client-refresh-ttl" value={values.refreshTtl} onInput={(e) => set({ refreshTtl: e.currentTarget.value })} />
        </Field>
        <Field id="client-service-user" label="Service user" error={errors.service_user} hint="whose access rights client_credentials tokens carry; empty for none">
          <input id="client-service-user" value={values.serviceUser} onInput={(e) => set({ serviceUser: e.currentTarget.value })} />
        </Field>
      </div>
      <label class="check">
        <input type="checkbox" id="client-introspect" checked={values.introspect} onChange={(e) => set({ introspect: e.currentTarget.checked })} />
        Resource server: may introspect any client's tokens
      </label>
      <label class="check">
        <input
          type="checkbox"
          id="client-trusted-for-end-user-address"
          checked={values.trustedForEndUserAddress}
          onChange={(e) => set({ trustedForEndUserAddress: e.currentTarget.checked })}
        />
        Backend: may pass its end user's address (<code>end_user_ip</code>) with a password grant, for the throttle and the audit log
      </label>
      {values.trustedForEndUserAddress && (
        <Notice kind="warning">
          A client trusted for this chooses the address its users' failed logins are counted under. Enable it only for your own server
          that signs users in on their behalf, never for an app that runs on users' devices.
        </Notice>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function ClientsPage() {
  const clients = useLoad(() => api<Client[]>('GET', '/clients'));
  const scopes = useLoad(() => api<Scope[]>('GET', '/scopes'));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ clientId: string; name: string; secret?: string }>();
  const register = async (body: Record<string, unknown>) => {
    const result = await api<{ client: Client; client_secret?: string }>('POST', '/clients', body);
    setCreating(false);
    setCreated({ clientId: result.client.client_id, name: clientLabel(result.client), secret: result.client_secret });
    clients.reload();
  };
  return (
    <section>
      <header class="page-header">
        <h2>Clients</h2>
        {!creating && (
          <button type="button" onClick={() => (setCreating(true), setCreated(undefined))}>
            Register client
          </button>
        )}
      </header>
      {created?.secret && <SecretPanel clientId={created.clientId} clientName={created.name} secret={created.secret} onDone={() => setCreated(undefined)} />}
      {created && !created.secret && (
        <Notice kind="success">
          Registered public client {created.name} (<code>{created.clientId}</code>).
        </Notice>
      )}
      {creating && scopes.data && (
        <>
          <h3>Register a client</h3>
          <ClientForm initial={EMPTY} create scopes={scopes.data} submitLabel="Register" onSubmit={register} onCancel={() => setCreating(false)} />
        </>
      )}
      {clients.error && <p class="form-error">{clients.error}</p>}
      <DataTable
        id="clients-table"
        rows={clients.data ?? []}
        rowKey={(client) => client.client_id}
        filterText={(client) => `${client.name} ${client.version} ${client.client_id} ${client.grants.join(' ')} ${client.scopes.join(' ')}`}
        empty="No clients yet."
        columns={[
          { label: 'Name', render: (client) => <a href={`#/clients/${enc(client.client_id)}`}>{client.name}</a> },
          { label: 'Version', render: (client) => client.version },
          { label: 'Client id', render: (client) => <code>{client.client_id}</code> },
          { label: 'Type', render: (client) => client.type },
          { label: 'Grants', render: (client) => client.grants.join(', ') },
          { label: 'Scopes', render: (client) => client.scopes.join(', ') },
          { label: 'Status', render: (client) => <span class={`badge ${client.enabled ? 'ok' : 'off'}`}>{client.enabled ? 'enabled' : 'disabled'}</span> },
        ]}
      />
    </section>
  );
}

export function ClientDetailPage(props: { clientId: string; navigate: (hash: string) => void }) {
  const client = useLoad(() => api<Client>('GET', `/clients/${enc(props.clientId)}`), [props.clientId]);
  const scopes = useLoad(() => api<Scope[]>('GET', '/scopes'));
  const [saved, setSaved] = useState(false);
  const [secret, setSecret] = useState<string>();
  if (client.error) return <p class="form-error">{client.error}</p>;
  if (!client.data || !scopes.data) return <p class="muted">Loading…</p>;
  const current = client.data;
  const save = async (body: Record<string, unknown>) => {
    await api('PATCH', `/clients/${enc(current.client_id)}`, body);
    setSaved(true);
    client.reload();
  };
  return (
    <section>
      <header class="page-header">
        <h2>
          Client {current.name} {current.version && <span class="muted">{current.version}</span>}
        </h2>
        <a href="#/clients">All clients</a>
      </header>
      <p>
        <code>{current.client_id}</code> · {current.type} ·{' '}
        <span class={`badge ${current.enabled ? 'ok' : 'off'}`}>{current.enabled ? 'enabled' : 'disabled'}</span>
      </p>
      {secret && <SecretPanel clientId={current.client_id} clientName={clientLabel(current)} secret={secret} onDone={() => setSecret(undefined)} />}
      {saved && <Notice kind="success">Saved.</Notice>}
      <ClientForm key={current.client_id} initial={valuesOf(current)} create={false} scopes={scopes.data} submitLabel="Save" onSubmit={save} />
      <LiveGrantsSection subject={{ clientId: current.client_id }} />
      {current.grants.includes('authorization_code') && <ClientConsentsSection clientId={current.client_id} />}
      <RecentEventsSection subject={{ clientId: current.client_id }} />
      <div class="actions danger-zone">
        {current.enabled ? (
          <ConfirmButton
            label="Disable"
            title="Disable this client?"
            message="Its tokens stop working, and it cannot get new ones, until it is enabled again."
            onConfirm={async () => {
              await api('PATCH', `/clients/${enc(current.client_id)}`, { enabled: false });
              client.reload();
            }}
          />
        ) : (
          <button
            type="button"
            onClick={async () => {
              await api('PATCH', `/clients/${enc(current.client_id)}`, { enabled: true });
              client.reload();
            }}
          >
            Enable
          </button>
        )}
        {current.type === 'confidential' && (
          <ConfirmButton
            label="Rotate secret"
            title="Rotate the client secret?"
            message="A new secret is issued and shown once; the current secret stops working at once."
            onConfirm={async () => {
              const result = await api<{ client_secret: string }>('POST', `/clients/${enc(current.client_id)}/secret`);
              setSecret(result.client_secret);
            }}
          />
        )}
        <ConfirmButton
          label="Delete client"
          title="Delete this client?"
          message={
            <p>
              Client <strong>{current.name}</strong> and every token it holds are deleted. This cannot be undone.
            </p>
          }
          confirmLabel="Delete"
          onConfirm={async () => {
            await api('DELETE', `/clients/${enc(current.client_id)}`);
            props.navigate('#/clients');
          }}
        />
      </div>
    </section>
  );
}
