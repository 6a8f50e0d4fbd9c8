import { useState } from 'preact/hooks';
import { api, type AuditPage, type AuditRecord } from '../api.ts';
import { Field, formatTime, useLoad } from '../components.tsx';

/** How an actor made the change, as a tooltip on their name. */
const ACTOR_VIA = { admin_session: 'in the admin console', admin_token: 'with an admin API token', cli: 'with the portcullis command' } as const;

const PAGE_SIZE = 25;

interface Filters {
  type: string;
  username: string;
  client_id: string;
}

function detailText(record: AuditRecord): string {
  return record.detail === null
    ? ''
    : Object.entries(record.detail)
        .map(([key, value]) => `${key}=${String(value)}`)
        .join(' ');
}

/**
 * The audit log, newest first, paged on the server: "Older" follows the page's `next_before`
 * cursor, "Newer" goes back along the cursors already visited.
 */
export function AuditPageView() {
  const [filters, setFilters] = useState<Filters>({ type: '', username: '', client_id: '' });
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
        {input('type', 'Event', 'login.failed')}
        {input('username', 'User', 'alice')}
        {input('client_id', 'Client', 'client id')}
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
                  <td>{formatTime(record.at)}</td>
                  <td>
                    <code>{record.type}</code>
                  </td>
                  <td title={record.actor_via === null ? undefined : ACTOR_VIA[record.actor_via]}>{record.actor ?? ''}</td>
                  <td>{record.username ?? ''}</td>
                  <td>{record.client_id ?? ''}</td>
                  <td>{record.ip ?? ''}</td>
                  <td>{record.reason ?? ''}</td>
                  <td class="detail">{detailText(record)}</td>
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
