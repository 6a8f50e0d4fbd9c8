import { postForm, type TestServer } from './server.ts';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface AdminSessionCookie {
  cookie: string;
  csrf: string;
  /** The raw Set-Cookie header of the sign-in response. */
  setCookie: string;
}

export interface AdminResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Calls the admin API over real HTTP with a session (and its CSRF token unless `csrf: false`) or a bearer token. */
export async function adminCall(
  server: TestServer,
  method: string,
  path: string,
  options: { session?: AdminSessionCookie; bearer?: string; body?: unknown; csrf?: string | false } = {},
): Promise<AdminResponse> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.session) {
    headers.cookie = options.session.cookie;
    if (options.csrf !== false) headers['x-csrf-token'] = options.csrf ?? options.session.csrf;
  }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  const response = await fetch(`${server.url}/admin/api${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

export async function signIn(server: TestServer, username = 'Administrator', password = ADMIN_PASSWORD): Promise<AdminSessionCookie> {
  const response = await fetch(`${server.url}/admin/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const setCookie = response.headers.get('set-cookie')!;
  const body = (await response.json()) as { csrf_token: string };
  const cookie = setCookie.split(';')[0]!;
  server.secrets.add(cookie.split('=')[1]!);
  server.secrets.add(body.csrf_token);
  return { cookie, csrf: body.csrf_token, setCookie };
}

/** An access token over the password grant, from a client that is allowed the given scopes. */
export async function passwordGrantToken(
  server: TestServer,
  username: string,
  password: string,
  scopes: string[],
): Promise<string> {
  for (const scope of scopes) {
    if (!(await server.app.store.findScope(scope))) await server.scope(scope);
  }
  const client = await server.client({ grants: ['password'], scopes });
  const response = await postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'password', username, password, scope: scopes.join(' ') },
    { basic: [client.id, client.secret!], secrets: server.secrets },
  );
  if (response.status !== 200) throw new Error(`token request failed: ${response.text}`);
  return response.body.access_token as string;
}
