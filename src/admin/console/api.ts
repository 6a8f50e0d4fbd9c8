/** The console's only way to the server: JSON over fetch, with the session's CSRF token on every change. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly field?: string,
  ) {
    super(description);
  }
}

let csrfToken: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the server says the session is gone, so the app can show the sign-in page. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/admin/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      typeof data.error === 'string' ? data.error : 'error',
      typeof data.error_description === 'string' ? data.error_description : `request failed (${response.status})`,
      typeof data.field === 'string' ? data.field : undefined,
    );
    if (response.status === 401 && path !== '/session') onSignedOut();
    throw error;
  }
  return data as T;
}

export const enc = encodeURIComponent;

export interface Client {
  client_id: string;
  name: string;
  version: string;
  description: string;
  type: 'confidential' | 'public';
  grants: string[];
  scopes: string[];
  access_token_ttl: string | number;
  refresh_limit: number | null;
  refresh_token_ttl: number;
  enabled: boolean;
  introspect: boolean;
  trusted_for_end_user_address: boolean;
  service_user: string | null;
  redirect_uris: string[];
  consent: 'always' | 'remember' | 'skip';
  token_format: 'opaque' | 'jwt';
  created_at: string;
}

export interface Scope {
  name: string;
  description: string;
  resources: string[];
  /** Listed in the metadata's scopes_supported. */
  public: boolean;
}

export interface User {
  username: string;
  groups: string[];
  enabled: boolean;
  created_at: string;
  /** Profile claims shown by userinfo; `null` when unset. */
  name: string | null;
  email: string | null;
  /** Directory users are a read-only copy (docs/directory.md). */
  source: 'local' | 'directory';
  dn?: string;
  synced_at?: string;
}

export interface Group {
  name: string;
  members: number;
  built_in: boolean;
}

export interface Token {
  id: string;
  kind: 'access' | 'refresh';
  state: string;
  live: boolean;
  client_id: string;
  username: string | null;
  scope: string;
  issued_at: string;
  expires_at: string | null;
}

export interface Session {
  username: string;
  csrf_token?: string;
  expires_at?: string;
}

export interface Service {
  name: string;
  upstream: string;
  methods: string[];
  templates: string[];
  /** Calls in flight at once per instance; null: the instance's default. */
  max_concurrent: number | null;
  /** Milliseconds to wait for the upstream's headers; null: the instance's default. */
  timeout_ms: number | null;
  introspect_always: boolean;
  created_at: string;
}

export interface Acl {
  resource: string;
  allow: string[];
  deny: string[];
}

export interface AuditRecord {
  id: number;
  at: string;
  type: string;
  ip: string | null;
  client_id: string | null;
  username: string | null;
  reason: string | null;
  detail: Record<string, string | number | boolean | null> | null;
  actor: string | null;
  actor_via: 'admin_session' | 'admin_token' | 'cli' | null;
}

export interface AuditPage {
  records: AuditRecord[];
  next_before: number | null;
}

export interface ThrottleBlock {
  counter: 'user_ip' | 'ip' | 'user';
  username: string | null;
  ip: string | null;
  since: string;
  until: string;
}

export interface UnlockResult {
  username?: string;
  ip?: string;
  cleared: number;
}

export interface DirectoryView {
  configured: boolean;
  settings?: Record<string, unknown>;
  state?: { status: 'up' | 'down' | 'unknown'; since: string | null; error: string | null };
  name_check?: { checked: boolean; conflicts?: string[]; reason?: string };
}

export interface DirectoryReport {
  ok: boolean;
  steps: { step: string; ok: boolean; detail: string }[];
  user?: { username: string; dn: string; enabled: boolean; directory_groups: string[]; groups: string[] };
}

export interface LoginSession {
  id: string;
  username: string;
  signed_in_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  amr: string[];
}

export interface Consent {
  username: string;
  client_id: string;
  client_name: string | null;
  scope: string[];
  granted_at: string;
}
