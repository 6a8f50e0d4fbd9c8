import { api, type AuditPage, type Client, enc, type Token } from '../api.ts';
import { clientLabel, ConfirmButton, DataTable, formatTime, useLoad } from '../components.tsx';

/** Whose activity: one user's, or one client's. */
export type Subject = { username: string } | { clientId: string };

function filterOf(subject: Subject): URLSearchParams {
  return new URLSearchParams('username' in subject ? { username: subject.username } : { client_id: subject.clientId });
}

/** The subject's live tokens (grants), each revocable with every token of its grant. */
export function LiveGrantsSection(props: { subject: Subject }) {
  const query = filterOf(props.subject);
  query.set('state', 'active');
  query.set('limit', '100');
  const tokens = useLoad(() => api<Token[]>('GET', `/tokens?${query}`), [query.toString()]);
  const clients = useLoad(() => api<Client[]>('GET', '/clients'));
  const clientName = (id: string) => {
    const client = clients.data?.find((item) => item.client_id === id);
    return client ? clientLabel(client) : id;
  };
  return (
    <section>
      <header class="page-header">
        <h3>Live grants</h3>
      </header>
      {tokens.error && <p class="form-error">{tokens.error}</p>}
      <DataTable
        id="live-grants-table"
        rows={tokens.data ?? []}
        rowKey={(token) => token.id}
        filterText={(token) => `${token.kind} ${clientName(token.client_id)} ${token.username ?? ''} ${token.scope}`}
        pageSize={10}
        empty="No live tokens."
        columns={[
          { label: 'Kind', render: (token) => token.kind },
          'username' in props.subject
            ? { label: 'Client', render: (token) => clientName(token.client_id) }
            : { label: 'User', render: (token) => token.username ?? <span class="muted">(client)</span> },
          { label: 'Scope', render: (token) => token.scope },
          { label: 'Issued', render: (token) => <span class="nowrap">{formatTime(token.issued_at)}</span> },
          { label: 'Expires', render: (token) => <span class="nowrap">{formatTime(token.expires_at)}</span> },
          {
            label: '',
            render: (token) => (
              <ConfirmButton
                label="Revoke"
                title="Revoke this grant?"
                message="The token is revoked together with every token of the same grant (its refresh token too)."
                confirmLabel="Revoke grant"
                onConfirm={async () => {
                  await api('DELETE', `/tokens/${enc(token.id)}`);
                  tokens.reload();
                }}
              />
            ),
          },
        ]}
      />
    </section>
  );
}

/** The subject's newest audit records, with a link to the whole log. */
export function RecentEventsSection(props: { subject: Subject }) {
  const query = filterOf(props.subject);
  query.set('limit', '10');
  const page = useLoad(() => api<AuditPage>('GET', `/audit?${query}`), [query.toString()]);
  return (
    <section>
      <header class="page-header">
        <h3>Recent events</h3>
        <a href="#/audit">Audit log</a>
      </header>
      {page.error && <p class="form-error">{page.error}</p>}
      <DataTable
        id="recent-events-table"
        rows={page.data?.records ?? []}
        rowKey={(record) => String(record.id)}
        filterText={(record) => `${record.type} ${record.reason ?? ''} ${record.ip ?? ''}`}
        empty="No events yet."
        columns={[
          { label: 'Time (UTC)', render: (record) => <span class="nowrap">{formatTime(record.at)}</span> },
          { label: 'Event', render: (record) => <code>{record.type}</code> },
          { label: 'By', render: (record) => record.actor ?? '' },
          { label: 'Address', render: (record) => record.ip ?? '' },
          { label: 'Reason', render: (record) => record.reason ?? '' },
        ]}
      />
    </section>
  );
}
