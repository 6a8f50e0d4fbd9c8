import { useState } from 'preact/hooks';
import { AUDIT_EVENT_TYPES } from '../../../core/audit.ts';
import { api, type AuditPage, type AuditRecord, type Client } from '../api.ts';
import { clientLabel, Field, formatTime, useLoad } from '../components.tsx';

/** How an actor made the change, as a tooltip on their name. */
const ACTOR_VIA = { admin_session: 'in the admin console', admin_token: 'with an admin API token', cli: 'with the portcullis command' } as const;

const PAGE_SIZE = 25;

interface Filters {
  type: string;
  username: string;
  client_id: string;
}

/** One fact a piece, so that lines break between facts, never inside one. */
function Detail(props: { record: AuditRecord }) {
  if (props.record.detail === null) return null;
  return (
    <>
      {Object.entries(props.record.detail).map(([key, value]) => (
        <span key={key}>
          {key}={String(value)}
        </span>
      ))}
    </>
  );
}

/**
 * The audit log, newest first, paged on the server: "Older" follows the page's `next_before`
 * cursor, "Newer" goes back along the cursors already visited.
 */
export function AuditPageView(props: { initial?: Partial<Filters> } = {}) {
  const [filters, setFilters] = useState<Filters>({ type: '', username: '', client_id: '', ...props.initial });
  const clients = useLoad(() => api<Client[]>('GET', '/clients'));
  const clientName = (id: string | null) => {
    if (id === null) return '';
    const client = clients.data?.find((item) => item.client_id === id);
    return client ? clientLabel(client) : id;
  };
  const [draft, setDraft] = useState<Filters>(filters);
  const [cursors, setCursors] = useState<number[]>([]);
  const before = cursors[cursors.length - 1];
  const page = useLoad(() => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (before !== undefined) query.set('before', String(before));
    for (const [key, value] of Object.entries(filters) as [string, string][]) if (value.trim() !== '') query.set(key, value.trim());
    return api<AuditPage>('GET', `/audit?${query}`);
  }, [before, filters]);
  const apply = (event: Event) => {
    event.preventDefault();
    setCursors([]);
    setFilters(draft);
  };
  const input = (key: keyof Filters, label: string, placeholder: string) => (
    <Field id={`audit-${key}`} label={label}>
      <input id={`audit-${key}`} value={draft[key]} placeholder={placeholder} onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} />
    </Field>
  );
  const records = page.data?.records ?? [];
  return (
    <section>
      <header class="page-header">
        <h2>Audit log</h2>
        <button type="button" class="secondary" onClick={page.reload}>
          Refresh
        </button>
      </header>
      <form class="card form inline" id="audit-filters" onSubmit={apply}>
        <Field id="audit-type" label="Event">
          <select id="audit-type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
            <option value="">any</option>
            {AUDIT_EVENT_TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </Field>
        {input('username', 'User', 'alice')}
        <Field id="audit-client_id" label="Client">
          <select id="audit-client_id" value={draft.client_id} onChange={(e) => setDraft({ ...draft, client_id: e.currentTarget.value })}>
            <option value="">any</option>
            {(clients.data ?? []).map((client) => (
              <option key={client.client_id} value={client.client_id}>
                {clientLabel(client)}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">Filter</button>
      </form>
      {page.error && <p class="form-error">{page.error}</p>}
      <div class="table-wrap">
        <table id="audit-table">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Event</th>
              <th>By</th>
              <th>User</th>
              <th>Client</th>
              <th>Address</th>
              <th>Reason</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {records.length === 0 ? (
              <tr>
                <td colSpan={8} class="muted">
                  {page.data ? 'No audit records match.' : 'Loading…'}
                </td>
              </tr>
            ) : (
              records.map((record) => (
                <tr key={record.id}>
                  <td class="time">
                    <span>{formatTime(record.at)}</span>
                  </td>
                  <td>
                    <code>{record.type}</code>
                  </td>
                  <td title={record.actor_via === null ? undefined : ACTOR_VIA[record.actor_via]}>{record.actor ?? ''}</td>
                  <td>{record.username ?? ''}</td>
                  <td class="client" title={record.client_id ?? undefined}>
                    {clientName(record.client_id)}
                  </td>
                  <td>{record.ip ?? ''}</td>
                  <td>{record.reason ?? ''}</td>
                  <td class="detail">
                    <Detail record={record} />
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
        <div class="pager">
          <button type="button" class="secondary" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </button>
          <span>Page {cursors.length + 1}</span>
          <button
            type="button"
            class="secondary"
            disabled={!page.data || page.data.next_before === null}
            onClick={() => setCursors([...cursors, page.data!.next_before!])}
          >
            Older
          </button>
        </div>
      </div>
    </section>
  );
}
