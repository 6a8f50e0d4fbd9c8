import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, type DirectoryReport, type DirectoryView } from '../api.ts';
import { Field, type FieldErrors, FormError, Notice, errorsFrom, formatTime, useLoad } from '../components.tsx';

function value(setting: unknown): string {
  if (setting === null || setting === undefined) return '—';
  if (Array.isArray(setting)) return setting.join(', ');
  if (typeof setting === 'object') {
    return Object.entries(setting as Record<string, unknown>)
      .map(([key, target]) => `${key} → ${Array.isArray(target) ? target.join(', ') : String(target)}`)
      .join('; ');
  }
  return typeof setting === 'string' ? setting : JSON.stringify(setting);
}

function TestForm() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [report, setReport] = useState<DirectoryReport>();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [running, setRunning] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (password !== '' && username.trim() === '') return setErrors({ username: 'a password is checked for a username' });
    setErrors({});
    setRunning(true);
    try {
      const body: Record<string, string> = {};
      if (username.trim() !== '') body.username = username.trim();
      if (password !== '') body.password = password;
      setReport(await api<DirectoryReport>('POST', '/directory/test', body));
      setPassword('');
    } catch (caught) {
      setErrors(errorsFrom(caught));
    } finally {
      setRunning(false);
    }
  };
  return (
    <form class="card form" id="directory-test-form" onSubmit={submit} noValidate>
      <h3>Test connection</h3>
      <FormError errors={errors} />
      <div class="row">
        <Field id="directory-test-username" label="Username (optional)" error={errors.username} hint="also searches for this user and shows their groups">
          <input id="directory-test-username" autoComplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field id="directory-test-password" label="Password (optional)" error={errors.password} hint="also checks it; counted like a sign-in attempt">
          <input id="directory-test-password" type="password" autoComplete="off" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
      </div>
      <div class="actions">
        <button type="submit" disabled={running}>
          {running ? 'Testing…' : 'Test connection'}
        </button>
      </div>
      {report && (
        <>
          <Notice kind={report.ok ? 'success' : 'warning'}>{report.ok ? 'Every step worked.' : 'A step failed; see below.'}</Notice>
          <ul class="steps" id="directory-test-steps">
            {report.steps.map((step) => (
              <li key={step.step}>
                <span class={`badge ${step.ok ? 'ok' : 'warn'}`}>{step.ok ? 'ok' : 'failed'}</span> <strong>{step.step}</strong>: {step.detail}
              </li>
            ))}
          </ul>
          {report.user && (
            <p>
              {report.user.username} ({report.user.dn}): groups {report.user.groups.join(', ') || '(none)'}
            </p>
          )}
        </>
      )}
    </form>
  );
}

/** The user directory: effective settings (read-only: they live in the config file and the environment), state, and a test. */
export function DirectoryPage() {
  const view = useLoad(() => api<DirectoryView>('GET', '/directory'));
  if (view.error) return <p class="form-error">{view.error}</p>;
  if (!view.data) return <p class="muted">Loading…</p>;
  const { settings, state, name_check: names } = view.data;
  return (
    <section>
      <header class="page-header">
        <h2>Directory</h2>
      </header>
      {!view.data.configured || !settings || !state ? (
        <Notice kind="info">No LDAP or Active Directory server is configured: every user is a local user. See docs/directory.md to add one.</Notice>
      ) : (
        <>
          <p id="directory-state">
            <span class={`badge ${state.status === 'up' ? 'ok' : state.status === 'down' ? 'warn' : 'off'}`}>{state.status}</span>
            {state.since && <> since {formatTime(state.since)}</>}
            {state.error && <> — {state.error}</>}
          </p>
          {names?.checked && (names.conflicts?.length ?? 0) > 0 && (
            <Notice kind="warning">
              Local users also found in the directory: {names.conflicts!.join(', ')}. The local user wins at sign-in; narrow directory.user_filter or
              rename the local user.
            </Notice>
          )}
          <Notice kind="info">These settings come from the config file and the environment; change them there and restart. The bind password is never shown.</Notice>
          <div class="card">
            <dl class="facts" id="directory-settings">
              {Object.entries(settings).map(([key, setting]) => (
                <Fragment key={key}>
                  <dt>{key}</dt>
                  <dd>{value(setting)}</dd>
                </Fragment>
              ))}
            </dl>
          </div>
          <TestForm />
        </>
      )}
    </section>
  );
}
