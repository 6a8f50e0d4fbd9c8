import { api, type Consent, enc, type LoginSession } from '../api.ts';
import { ConfirmButton, DataTable, formatTime, useLoad } from '../components.tsx';

/** A user's login sessions at the authorization endpoint: when they signed in, from where, until when; end one or all. */
export function UserSessionsSection(props: { username: string }) {
  const sessions = useLoad(() => api<LoginSession[]>('GET', `/users/${enc(props.username)}/sessions`), [props.username]);
  const rows = sessions.data ?? [];
  return (
    <section>
      <header class="page-header">
        <h3>Sign-in sessions</h3>
        {rows.length > 0 && (
          <ConfirmButton
            label="End all sessions"
            title={`End every sign-in session of ${props.username}?`}
            message="Their browsers must sign in again at the next authorization request. Tokens already issued keep working."
            confirmLabel="End all"
            onConfirm={async () => {
              await api('DELETE', `/users/${enc(props.username)}/sessions`);
              sessions.reload();
            }}
          />
        )}
      </header>
      {sessions.error && <p class="form-error">{sessions.error}</p>}
      <DataTable
        id="sessions-table"
        rows={rows}
        rowKey={(session) => session.id}
        filterText={(session) => `${session.ip ?? ''} ${session.signed_in_at}`}
        empty="Not signed in anywhere."
        columns={[
          { label: 'Signed in', render: (session) => formatTime(session.signed_in_at) },
          { label: 'From', render: (session) => session.ip ?? '-' },
          { label: 'Last used', render: (session) => formatTime(session.last_seen_at) },
          { label: 'Ends', render: (session) => formatTime(session.expires_at) },
          {
            label: '',
            render: (session) => (
              <div class="row-actions">
                <ConfirmButton
                  label="End"
                  title="End this sign-in session?"
                  message="That browser must sign in again at its next authorization request."
                  onConfirm={async () => {
                    await api('DELETE', `/users/${enc(props.username)}/sessions/${enc(session.id)}`);
                    sessions.reload();
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

function WithdrawButton(props: { consent: Consent; who: string; onDone: () => void }) {
  return (
    <div class="row-actions">
      <ConfirmButton
        label="Withdraw"
        title={`Withdraw the consent of ${props.who}?`}
        message="The approval page asks again next time, and the client's tokens for this user end now."
        onConfirm={async () => {
          await api('DELETE', `/users/${enc(props.consent.username)}/consents/${enc(props.consent.client_id)}`);
          props.onDone();
        }}
      />
    </div>
  );
}

/** What one user approved, per client. */
export function UserConsentsSection(props: { username: string }) {
  const consents = useLoad(() => api<Consent[]>('GET', `/users/${enc(props.username)}/consents`), [props.username]);
  return (
    <section>
      <h3>Consents</h3>
      {consents.error && <p class="form-error">{consents.error}</p>}
      <DataTable
        id="user-consents-table"
        rows={consents.data ?? []}
        rowKey={(consent) => consent.client_id}
        filterText={(consent) => `${consent.client_name ?? ''} ${consent.client_id} ${consent.scope.join(' ')}`}
        empty="No client approved yet."
        columns={[
          { label: 'Client', render: (consent) => <a href={`#/clients/${enc(consent.client_id)}`}>{consent.client_name ?? consent.client_id}</a> },
          { label: 'Scopes', render: (consent) => consent.scope.join(', ') },
          { label: 'Approved', render: (consent) => formatTime(consent.granted_at) },
          { label: '', render: (consent) => <WithdrawButton consent={consent} who={`${consent.username} for this client`} onDone={consents.reload} /> },
        ]}
      />
    </section>
  );
}

/** Who approved one client. */
export function ClientConsentsSection(props: { clientId: string }) {
  const consents = useLoad(() => api<Consent[]>('GET', `/clients/${enc(props.clientId)}/consents`), [props.clientId]);
  return (
    <section>
      <h3>Consents</h3>
      {consents.error && <p class="form-error">{consents.error}</p>}
      <DataTable
        id="client-consents-table"
        rows={consents.data ?? []}
        rowKey={(consent) => consent.username}
        filterText={(consent) => `${consent.username} ${consent.scope.join(' ')}`}
        empty="No user has approved this client."
        columns={[
          { label: 'User', render: (consent) => <a href={`#/users/${enc(consent.username)}`}>{consent.username}</a> },
          { label: 'Scopes', render: (consent) => consent.scope.join(', ') },
          { label: 'Approved', render: (consent) => formatTime(consent.granted_at) },
          { label: '', render: (consent) => <WithdrawButton consent={consent} who={consent.username} onDone={consents.reload} /> },
        ]}
      />
    </section>
  );
}
