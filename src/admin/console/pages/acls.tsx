import { useState } from 'preact/hooks';
import { type Acl, api, enc, type Group } from '../api.ts';
import { Checkboxes, ConfirmButton, DataTable, Field, type FieldErrors, FormError, Notice, errorsFrom, useLoad } from '../components.tsx';

function AclForm(props: { initial?: Acl; groups: string[]; onSaved: (acl: Acl) => void; onCancel: () => void }) {
  const create = props.initial === undefined;
  const [resource, setResource] = useState(props.initial?.resource ?? '');
  const [allow, setAllow] = useState<string[]>(props.initial?.allow ?? []);
  const [deny, setDeny] = useState<string[]>(props.initial?.deny ?? []);
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = async (event: Event) => {
    event.preventDefault();
    if (resource.trim() === '') return setErrors({ resource: 'resource is required: a folder (orders.v1) or a service (orders.v1:getOrder)' });
    setErrors({});
    try {
      props.onSaved(await api<Acl>('PUT', `/acls/${enc(resource.trim())}`, { allow, deny }));
    } catch (caught) {
      setErrors(errorsFrom(caught));
    }
  };
  return (
    <form class="card form" id="acl-form" onSubmit={submit} noValidate>
      <FormError errors={errors} />
      <Field id="acl-resource" label="Folder or service" error={errors.resource} hint="orders (a folder and everything below it) or orders.v1:getOrder (one service)">
        <input id="acl-resource" value={resource} disabled={!create} onInput={(e) => setResource(e.currentTarget.value)} />
      </Field>
      <Field id="acl-allow" label="Allowed groups" error={errors.allow} hint="members of at least one of these are let in; none ticked lets nobody in">
        <Checkboxes id="acl-allow" options={props.groups} selected={allow} onChange={setAllow} empty="No groups yet: create them on the Users & groups page." />
      </Field>
      <Field id="acl-deny" label="Denied groups" error={errors.deny} hint="members of these are refused even if also allowed (deny wins)">
        <Checkboxes id="acl-deny" options={props.groups} selected={deny} onChange={setDeny} empty="No groups yet." />
      </Field>
      <div class="actions">
        <button type="submit">{create ? 'Create ACL' : 'Save ACL'}</button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function AclsPage() {
  const acls = useLoad(() => api<Acl[]>('GET', '/acls'));
  const groups = useLoad(() => api<Group[]>('GET', '/groups'));
  const [editing, setEditing] = useState<Acl | 'new'>();
  const [notice, setNotice] = useState<string>();
  const groupNames = (groups.data ?? []).map((group) => group.name);
  const list = (names: string[]) => (names.length > 0 ? names.join(', ') : <span class="muted">none</span>);
  return (
    <section>
      <header class="page-header">
        <h2>ACLs</h2>
        {editing === undefined && (
          <button type="button" onClick={() => (setEditing('new'), setNotice(undefined))}>
            New ACL
          </button>
        )}
      </header>
      <p class="muted">
        A service obeys the nearest ACL up its folder chain (orders.v1:drop, then orders.v1, then orders). Deny wins. Where no ACL
        applies, any authenticated caller is let in.
      </p>
      {notice && <Notice kind="success">{notice}</Notice>}
      {editing !== undefined && (
        <>
          <h3>{editing === 'new' ? 'New ACL' : `ACL on ${editing.resource}`}</h3>
          <AclForm
            key={editing === 'new' ? '' : editing.resource}
            initial={editing === 'new' ? undefined : editing}
            groups={groupNames}
            onSaved={(saved) => {
              setEditing(undefined);
              setNotice(`Saved the ACL on ${saved.resource}.`);
              acls.reload();
            }}
            onCancel={() => setEditing(undefined)}
          />
        </>
      )}
      {acls.error && <p class="form-error">{acls.error}</p>}
      <DataTable
        id="acls-table"
        rows={acls.data ?? []}
        rowKey={(acl) => acl.resource}
        filterText={(acl) => `${acl.resource} ${acl.allow.join(' ')} ${acl.deny.join(' ')}`}
        empty="No ACLs: every authenticated caller whose scope covers a service may call it."
        columns={[
          { label: 'Folder or service', render: (acl) => <code>{acl.resource}</code> },
          { label: 'Allow', render: (acl) => list(acl.allow) },
          { label: 'Deny', render: (acl) => list(acl.deny) },
          {
            label: '',
            render: (acl) => (
              <div class="row-actions">
                <button type="button" class="secondary small" onClick={() => (setEditing(acl), setNotice(undefined))}>
                  Edit
                </button>
                <ConfirmButton
                  label="Delete"
                  title="Delete this ACL?"
                  message={
                    <p>
                      The ACL on <strong>{acl.resource}</strong> is removed: its services then obey the next ACL up the folder chain, or
                      none (every authenticated caller).
                    </p>
                  }
                  onConfirm={async () => {
                    await api('DELETE', `/acls/${enc(acl.resource)}`);
                    setNotice(`Deleted the ACL on ${acl.resource}.`);
                    acls.reload();
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
