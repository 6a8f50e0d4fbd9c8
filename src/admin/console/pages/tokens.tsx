import { useState } from 'preact/hooks';
import { api, type Client, enc, type Token } from '../api.ts';
import { ConfirmButton, DataTable, Field, formatTime, useLoad } from '../components.tsx';

/**
 * No "revoked": the background purge deletes revoked tokens within purge_interval (a minute by
 * default), so such a filter would show nothing; the audit log keeps every revocation.
 */
const STATES = ['active', 'expired', 'rotated'];

interface Filter {
  clientId: string;
  username: string;
  state: string;
}

function query(filter: Filter): string {
  const params = new URLSearchParams({ limit: '500' });
  if (filter.clientId) params.set('client_id', filter.clientId);
  if (filter.username.trim()) params.set('username', filter.username.trim());
  if (filter.state) params.set('state', filter.state);
  return params.toString();
}

export function TokensPage() {
  const [draft, setDraft] = useState<Filter>({ clientId: '', username: '', state: 'active' });
  const [filter, setFilter] = useState<Filter>(draft);
  const tokens = useLoad(() => api<Token[]>('GET', `/tokens?${query(filter)}`), [filter]);
  const clients = useLoad(() => api<Client[]>('GET', '/clients'));
  const clientName = (id: string) => {
    const client = clients.data?.find((item) => item.client_id === id);
    return client ? `${client.name}${client.version ? ` ${client.version}` : ''}` : id;
  };
  return (
    <section>
      <header class="page-header">
        <h2>Tokens</h2>
      </header>
      <form
        class="card form inline"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter(draft);
        }}
      >
        <Field id="tokens-client" label="Client">
          <select id="tokens-client" value={draft.clientId} onChange={(e) => setDraft({ ...draft, clientId: e.currentTarget.value })}>
            <option value="">any</option>
            {(clients.data ?? []).map((client) => (
              <option key={client.client_id} value={client.client_id}>
                {clientName(client.client_id)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="tokens-username" label="User">
          <input id="tokens-username" value={draft.username} onInput={(e) => setDraft({ ...draft, username: e.currentTarget.value })} />
        </Field>
        <Field id="tokens-state" label="State">
          <select id="tokens-state" value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.currentTarget.value })}>
            <option value="">any</option>
            {STATES.map((state) => (
              <option key={state} value={state}>
                {state}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">Apply filters</button>
      </form>
      <p class="hint" id="tokens-revoked-note">
        Revoked tokens are deleted by the background purge within a minute; the <a href="#/audit">audit log</a> keeps every revocation.
      </p>
      {tokens.error && <p class="form-error">{tokens.error}</p>}
      <DataTable
        id="tokens-table"
        rows={tokens.data ?? []}
        rowKey={(token) => token.id}
        filterText={(token) => `${token.kind} ${token.state} ${clientName(token.client_id)} ${token.username ?? ''} ${token.scope}`}
        pageSize={20}
        empty="No tokens match."
        columns={[
          { label: 'Kind', render: (token) => token.kind },
          { label: 'State', render: (token) => <span class={`badge ${token.live ? 'ok' : 'off'}`}>{token.live ? token.state : `${token.state} (inactive)`}</span> },
          { label: 'Client', render: (token) => clientName(token.client_id) },
          { label: 'User', render: (token) => token.username ?? <span class="muted">(client)</span> },
          { label: 'Scope', render: (token) => token.scope },
          { label: 'Issued', render: (token) => formatTime(token.issued_at) },
          { label: 'Expires', render: (token) => formatTime(token.expires_at) },
          {
            label: '',
            render: (token) =>
              token.state === 'active' && (
                <ConfirmButton
                  label="Revoke"
                  title="Revoke this grant?"
                  message="The token is revoked together with every token of the same grant (its refresh token too). The client must ask for a new one."
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
