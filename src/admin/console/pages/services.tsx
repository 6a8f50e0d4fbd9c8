import { useState } from 'preact/hooks';
import { api, enc, type Service } from '../api.ts';
import { ConfirmButton, DataTable, Field, type FieldErrors, FormError, Notice, errorsFrom, useLoad } from '../components.tsx';

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function words(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((word) => word.trim())
    .filter((word) => word !== '');
}

/** Create (name editable) or replace (name fixed) a service. Errors of the server appear next to the field it names. */
function ServiceForm(props: { initial?: Service; onSaved: (service: Service) => void; onCancel: () => void }) {
  const create = props.initial === undefined;
  const [name, setName] = useState(props.initial?.name ?? '');
  const [upstream, setUpstream] = useState(props.initial?.upstream ?? '');
  const [methods, setMethods] = useState((props.initial?.methods ?? []).join(' '));
  const [templates, setTemplates] = useState((props.initial?.templates ?? []).join('\n'));
  const [maxConcurrent, setMaxConcurrent] = useState(String(props.initial?.max_concurrent ?? ''));
  const [timeoutMs, setTimeoutMs] = useState(String(props.initial?.timeout_ms ?? ''));
  const [introspectAlways, setIntrospectAlways] = useState(props.initial?.introspect_always ?? false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = async (event: Event) => {
    event.preventDefault();
    const missing: FieldErrors = {};
    if (name.trim() === '') missing.name = 'name is required (folder.sub:name)';
    if (upstream.trim() === '') missing.upstream = 'upstream is required (an http or https URL)';
    if (!/^\d*$/.test(maxConcurrent.trim())) missing.max_concurrent = 'a whole number, or empty for the default';
    if (!/^\d*$/.test(timeoutMs.trim())) missing.timeout_ms = 'a whole number of milliseconds, or empty for the default';
    if (Object.keys(missing).length > 0) return setErrors(missing);
    setErrors({});
    try {
      const saved = await api<Service>('PUT', `/services/${enc(name.trim())}`, {
        upstream: upstream.trim(),
        methods: [...new Set(words(methods).map((method) => method.toUpperCase()))],
        templates: [...new Set(lines(templates))],
        // Empty is the instance's default: the service is replaced whole, so the limits are always sent.
        max_concurrent: maxConcurrent.trim() === '' ? null : Number(maxConcurrent.trim()),
        timeout_ms: timeoutMs.trim() === '' ? null : Number(timeoutMs.trim()),
        introspect_always: introspectAlways,
      });
      props.onSaved(saved);
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  return (
    <form class="card form" id="service-form" onSubmit={submit} noValidate>
      <FormError errors={errors} />
      <Field id="service-name" label="Name" error={errors.name} hint="folder.sub:name, e.g. orders.v1:getOrder; reachable at /invoke/folder.sub/name">
        <input id="service-name" value={name} disabled={!create} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field id="service-upstream" label="Upstream URL" error={errors.upstream} hint="where the gateway forwards, e.g. http://orders:8080/api/get">
        <input id="service-upstream" value={upstream} onInput={(e) => setUpstream(e.currentTarget.value)} />
      </Field>
      <Field id="service-methods" label="Methods at /invoke" error={errors.methods} hint="space- or comma-separated, e.g. GET POST; empty accepts any method">
        <input id="service-methods" value={methods} onInput={(e) => setMethods(e.currentTarget.value)} />
      </Field>
      <Field id="service-templates" label="URL templates" error={errors.templates} hint="one per line, under /rest/: GET /rest/orders/{id}, * /rest/orders/**">
        <textarea id="service-templates" rows={3} value={templates} onInput={(e) => setTemplates(e.currentTarget.value)} />
      </Field>
      <Field id="service-max-concurrent" label="Concurrent calls at most" error={errors.max_concurrent} hint="per Portcullis instance; more get 503 at once. Empty: the instance's default">
        <input id="service-max-concurrent" inputMode="numeric" value={maxConcurrent} onInput={(e) => setMaxConcurrent(e.currentTarget.value)} />
      </Field>
      <Field id="service-timeout" label="Timeout (ms)" error={errors.timeout_ms} hint="wait for the upstream's response headers, then 504. Empty: the instance's default">
        <input id="service-timeout" inputMode="numeric" value={timeoutMs} onInput={(e) => setTimeoutMs(e.currentTarget.value)} />
      </Field>
      <label class="check">
        <input type="checkbox" id="service-introspect-always" checked={introspectAlways} onChange={(e) => setIntrospectAlways(e.currentTarget.checked)} />
        Check JWT access tokens at Portcullis on every call, so that a revocation counts at once (otherwise they are accepted until they expire)
      </label>
      <div class="actions">
        <button type="submit">{create ? 'Create service' : 'Save service'}</button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ServicesPage() {
  const services = useLoad(() => api<Service[]>('GET', '/services'));
  const [editing, setEditing] = useState<Service | 'new'>();
  const [notice, setNotice] = useState<string>();
  return (
    <section>
      <header class="page-header">
        <h2>Services</h2>
        {editing === undefined && (
          <button type="button" onClick={() => (setEditing('new'), setNotice(undefined))}>
            New service
          </button>
        )}
      </header>
      <p class="muted">
        Protected services behind the gateway. A token reaches one when a scope covers it and the nearest ACL lets its user in.
      </p>
      {notice && <Notice kind="success">{notice}</Notice>}
      {editing !== undefined && (
        <>
          <h3>{editing === 'new' ? 'New service' : `Service ${editing.name}`}</h3>
          <ServiceForm
            key={editing === 'new' ? '' : editing.name}
            initial={editing === 'new' ? undefined : editing}
            onSaved={(saved) => {
              setEditing(undefined);
              setNotice(`Saved service ${saved.name}.`);
              services.reload();
            }}
            onCancel={() => setEditing(undefined)}
          />
        </>
      )}
      {services.error && <p class="form-error">{services.error}</p>}
      <DataTable
        id="services-table"
        rows={services.data ?? []}
        rowKey={(service) => service.name}
        filterText={(service) => `${service.name} ${service.upstream} ${service.methods.join(' ')} ${service.templates.join(' ')}`}
        empty="No services yet."
        columns={[
          { label: 'Name', render: (service) => <code>{service.name}</code> },
          { label: 'Upstream', render: (service) => service.upstream },
          { label: 'Methods', render: (service) => (service.methods.length > 0 ? service.methods.join(' ') : <span class="muted">any</span>) },
          { label: 'URL templates', render: (service) => service.templates.map((template) => <div key={template}><code>{template}</code></div>) },
          {
            label: 'Limits',
            render: (service) =>
              service.max_concurrent === null && service.timeout_ms === null ? (
                <span class="muted">defaults</span>
              ) : (
                <span>
                  {service.max_concurrent === null ? 'default' : `${service.max_concurrent} at once`} ·{' '}
                  {service.timeout_ms === null ? 'default timeout' : `${service.timeout_ms} ms`}
                </span>
              ),
          },
          {
            label: '',
            render: (service) => (
              <div class="row-actions">
                <button type="button" class="secondary small" onClick={() => (setEditing(service), setNotice(undefined))}>
                  Edit
                </button>
                <ConfirmButton
                  label="Delete"
                  title="Delete this service?"
                  message={
                    <p>
                      Service <strong>{service.name}</strong> is removed: calls to it answer 404 at once. Scopes and ACLs naming it stay.
                    </p>
                  }
                  onConfirm={async () => {
                    await api('DELETE', `/services/${enc(service.name)}`);
                    setNotice(`Deleted service ${service.name}.`);
                    services.reload();
                  }}
                />
              </div>
            ),
          },
        ]}
      />
    </section>
  );
}
