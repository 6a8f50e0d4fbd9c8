import { useState } from 'preact/hooks';
import { api, type Client, enc, type Scope } from '../api.ts';
import { Checkboxes, ConfirmButton, DataTable, Field, type FieldErrors, FormError, Notice, errorsFrom, useLoad } from '../components.tsx';

const RESOURCE_HINT = 'one per line: a folder (orders.v1), a service (orders.v1:getOrder) or a URL template (GET /rest/orders/{id})';

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function ScopeForm(props: {
  create: boolean;
  initial: Scope;
  onSubmit: (scope: Scope) => Promise<void>;
  submitLabel: string;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(props.initial.name);
  const [description, setDescription] = useState(props.initial.description);
  const [resources, setResources] = useState(props.initial.resources.join('\n'));
  const [isPublic, setPublic] = useState(props.initial.public);
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = async (event: Event) => {
    event.preventDefault();
    if (props.create && name.trim() === '') return setErrors({ name: 'name is required' });
    setErrors({});
    try {
      await props.onSubmit({ name: name.trim(), description, resources: lines(resources), public: isPublic });
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  return (
    <form class="card form" onSubmit={submit} noValidate>
      <FormError errors={errors} />
      {props.create && (
        <Field id="scope-name" label="Name" error={errors.name} hint={'printable ASCII without spaces, \\ , or "'}>
          <input id="scope-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
      )}
      <Field id="scope-description" label="Description" error={errors.description}>
        <input id="scope-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </Field>
      <Field id="scope-resources" label="Resources" error={errors.resources} hint={RESOURCE_HINT}>
        <textarea id="scope-resources" rows={4} value={resources} onInput={(e) => setResources(e.currentTarget.value)} />
      </Field>
      <label class="check">
        <input type="checkbox" id="scope-public" checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} />
        Public: listed in the server metadata's scopes_supported
      </label>
      <div class="actions">
        <button type="submit">{props.submitLabel}</button>
        {props.onCancel && (
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function ScopesPage() {
  const scopes = useLoad(() => api<Scope[]>('GET', '/scopes'));
  const clients = useLoad(() => api<Client[]>('GET', '/clients'));
  const [creating, setCreating] = useState(false);
  const clientCount = (name: string) => (clients.data ?? []).filter((client) => client.scopes.includes(name)).length;
  return (
    <section>
      <header class="page-header">
        <h2>Scopes</h2>
        {!creating && (
          <button type="button" onClick={() => setCreating(true)}>
            New scope
          </button>
        )}
      </header>
      {creating && (
        <>
          <h3>New scope</h3>
          <ScopeForm
            create
            initial={{ name: '', description: '', resources: [], public: false }}
            submitLabel="Create scope"
            onSubmit={async (scope) => {
              await api('POST', '/scopes', scope);
              setCreating(false);
              scopes.reload();
            }}
            onCancel={() => setCreating(false)}
          />
        </>
      )}
      <DataTable
        id="scopes-table"
        rows={scopes.data ?? []}
        rowKey={(scope) => scope.name}
        filterText={(scope) => `${scope.name} ${scope.description} ${scope.resources.join(' ')}`}
        empty="No scopes yet."
        columns={[
          { label: 'Name', render: (scope) => <a href={`#/scopes/${enc(scope.name)}`}>{scope.name}</a> },
          { label: 'Description', render: (scope) => scope.description },
          { label: 'Resources', render: (scope) => scope.resources.join(', ') },
          { label: 'Public', render: (scope) => (scope.public ? 'yes' : <span class="muted">no</span>) },
          { label: 'Clients', render: (scope) => clientCount(scope.name) },
        ]}
      />
    </section>
  );
}

/** One scope: its resources, and the clients it is associated with (the scope side of the association). */
export function ScopeDetailPage(props: { name: string; navigate: (hash: string) => void }) {
  const scope = useLoad(() => api<Scope>('GET', `/scopes/${enc(props.name)}`), [props.name]);
  const clients = useLoad(() => api<Client[]>('GET', '/clients'));
  const [selected, setSelected] = useState<string[]>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  if (scope.error) return <p class="form-error">{scope.error}</p>;
  if (!scope.data || !clients.data) return <p class="muted">Loading…</p>;
  const associated = selected ?? clients.data.filter((client) => client.scopes.includes(props.name)).map((client) => client.client_id);
  const label = (id: string) => {
    const client = clients.data!.find((item) => item.client_id === id)!;
    return `${client.name}${client.version ? ` ${client.version}` : ''}`;
  };
  const byLabel = new Map(clients.data.map((client) => [label(client.client_id), client.client_id]));
  return (
    <section>
      <header class="page-header">
        <h2>Scope {scope.data.name}</h2>
        <a href="#/scopes">All scopes</a>
      </header>
      {notice && <Notice kind="success">{notice}</Notice>}
      <ScopeForm
        key={scope.data.name}
        create={false}
        initial={scope.data}
        submitLabel="Save"
        onSubmit={async (changed) => {
          await api('PUT', `/scopes/${enc(props.name)}`, { description: changed.description, resources: changed.resources, public: changed.public });
          setNotice('Saved.');
          scope.reload();
        }}
      />
      <h3>Clients with this scope</h3>
      <div class="card form">
        {error && <p class="form-error">{error}</p>}
        <Checkboxes
          id="scope-clients"
          options={[...byLabel.keys()]}
          selected={associated.map(label)}
          onChange={(labels) => setSelected(labels.map((item) => byLabel.get(item)!))}
          empty="No clients yet."
        />
        <div class="actions">
          <button
            type="button"
            onClick={async () => {
              try {
                await api('PUT', `/scopes/${enc(props.name)}/clients`, { client_ids: associated });
                setError(undefined);
                setNotice('Client associations saved.');
                clients.reload();
                setSelected(undefined);
              } catch (caught) {
                setError(errorsFrom(caught)._form ?? Object.values(errorsFrom(caught))[0]);
              }
            }}
          >
            Save associations
          </button>
        </div>
      </div>
      <div class="actions danger-zone">
        <ConfirmButton
          label="Delete scope"
          title="Delete this scope?"
          message={
            <p>
              Scope <strong>{props.name}</strong> is removed from every client. Tokens already issued keep it until they end.
            </p>
          }
          confirmLabel="Delete"
          onConfirm={async () => {
            await api('DELETE', `/scopes/${enc(props.name)}`);
            props.navigate('#/scopes');
          }}
        />
      </div>
    </section>
  );
}
