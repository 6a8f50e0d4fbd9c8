import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Field, type FieldErrors, FormError, Notice, errorsFrom, useLoad } from '../components.tsx';

interface Settings {
  access_token_ttl: number | 'never';
  require_https: boolean;
}

export function SettingsPage() {
  const settings = useLoad(() => api<Settings>('GET', '/settings'));
  const [ttl, setTtl] = useState('');
  const [requireHttps, setRequireHttps] = useState(true);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!settings.data) return;
    setTtl(String(settings.data.access_token_ttl));
    setRequireHttps(settings.data.require_https);
  }, [settings.data]);
  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const value = ttl.trim();
    if (!/^(never|[1-9]\d*)$/.test(value)) return setErrors({ access_token_ttl: 'never, or a positive number of seconds' });
    try {
      await api('PATCH', '/settings', { access_token_ttl: value === 'never' ? 'never' : Number(value), require_https: requireHttps });
      setErrors({});
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
        <Field id="settings-ttl" label="Default access-token lifetime" error={errors.access_token_ttl} hint="seconds, or never; clients set to global use it">
          <input id="settings-ttl" value={ttl} onInput={(e) => setTtl(e.currentTarget.value)} />
        </Field>
        <label class="check">
          <input type="checkbox" id="settings-https" checked={requireHttps} onChange={(e) => setRequireHttps(e.currentTarget.checked)} />
          Require HTTPS at the OAuth endpoints (requests from loopback count as secure)
        </label>
        {!requireHttps && (
          <Notice kind="warning">
            Without HTTPS, passwords, client secrets and tokens cross the network in clear text. Switch this off only behind a
            TLS-terminating proxy that Portcullis trusts, or for local testing.
          </Notice>
        )}
        <div class="actions">
          <button type="submit">Save settings</button>
        </div>
      </form>
    </section>
  );
}
