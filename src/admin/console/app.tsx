import { useEffect, useState } from 'preact/hooks';
import { api, type Session, setCsrfToken, whenSignedOut } from './api.ts';
import { AclsPage } from './pages/acls.tsx';
import { AuditPageView } from './pages/audit.tsx';
import { ClientDetailPage, ClientsPage } from './pages/clients.tsx';
import { DirectoryPage } from './pages/directory.tsx';
import { LoginPage } from './pages/login.tsx';
import { ScopeDetailPage, ScopesPage } from './pages/scopes.tsx';
import { ServicesPage } from './pages/services.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { ThrottledPage } from './pages/throttled.tsx';
import { TokensPage } from './pages/tokens.tsx';
import { UserDetailPage, UsersPage } from './pages/users.tsx';

/**
 * The console's pages, by the first part of the location hash (`#/clients/abc`). A new page (services
 * and ACLs, audit log, throttled accounts) is one entry here and one file in pages/.
 */
const PAGES: { path: string; title: string; render: (rest: string, navigate: (hash: string) => void) => preact.JSX.Element }[] = [
  { path: 'settings', title: 'Settings', render: () => <SettingsPage /> },
  {
    path: 'clients',
    title: 'Clients',
    render: (rest, navigate) => (rest ? <ClientDetailPage clientId={decodeURIComponent(rest)} navigate={navigate} /> : <ClientsPage />),
  },
  {
    path: 'scopes',
    title: 'Scopes',
    render: (rest, navigate) => (rest ? <ScopeDetailPage name={decodeURIComponent(rest)} navigate={navigate} /> : <ScopesPage />),
  },
  {
    path: 'users',
    title: 'Users & groups',
    render: (rest, navigate) => (rest ? <UserDetailPage username={decodeURIComponent(rest)} navigate={navigate} /> : <UsersPage />),
  },
  { path: 'tokens', title: 'Tokens', render: () => <TokensPage /> },
  { path: 'services', title: 'Services', render: () => <ServicesPage /> },
  { path: 'acls', title: 'ACLs', render: () => <AclsPage /> },
  { path: 'audit', title: 'Audit log', render: () => <AuditPageView /> },
  { path: 'throttled', title: 'Throttled', render: () => <ThrottledPage /> },
  { path: 'directory', title: 'Directory', render: () => <DirectoryPage /> },
];

function useHash(): [string, (hash: string) => void] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return [hash, (next: string) => (location.hash = next)];
}

export function App() {
  const [session, setSession] = useState<Session | null>();
  const [expired, setExpired] = useState(false);
  const [hash, navigate] = useHash();

  const signedIn = (next: Session) => {
    setCsrfToken(next.csrf_token);
    setSession(next);
  };
  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(undefined);
      setExpired(true);
      setSession(null);
    });
    api<Session>('GET', '/session').then(signedIn, () => setSession(null));
  }, []);

  if (session === undefined) return <p class="muted">Loading…</p>;
  if (session === null) return <LoginPage expired={expired} onSignedIn={(next) => (setExpired(false), signedIn(next))} />;

  const [path = '', ...rest] = hash.replace(/^#\/?/, '').split('/');
  const page = PAGES.find((candidate) => candidate.path === path) ?? PAGES[1]!;
  const signOut = async () => {
    await api('DELETE', '/session').catch(() => undefined);
    setCsrfToken(undefined);
    setSession(null);
  };
  return (
    <div class="layout">
      <header class="topbar">
        <span class="brand">Portcullis</span>
        <nav>
          {PAGES.map((candidate) => (
            <a key={candidate.path} href={`#/${candidate.path}`} class={candidate === page ? 'active' : ''}>
              {candidate.title}
            </a>
          ))}
        </nav>
        <span class="who">
          {session.username}
          <button type="button" class="secondary small" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main class="content">{page.render(rest.join('/'), navigate)}</main>
    </div>
  );
}
