import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636 §4.1, §4.2): a random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The answer to one request, read once: status, headers, body, and the redirect target if any. */
export interface PageResponse {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!);
}

/** The hidden fields of the page's form, as the renderer writes them (`<input type="hidden" name=… value=…/>`). */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/>/g)) fields[unescape(match[1]!)] = unescape(match[2]!);
  return fields;
}

/** The text of the page's problem box, or undefined. */
export function problemText(html: string): string | undefined {
  const match = /<p class="problem" id="problem" role="alert">([^<]*)<\/p>/.exec(html);
  return match ? unescape(match[1]!) : undefined;
}

/**
 * A browser without JavaScript, for tests over real HTTP: a cookie jar (name → value, for one
 * server), no redirect following, forms posted as the pages' forms post.
 */
export class TestBrowser {
  /** Every Set-Cookie header received, for the tests of cookie attributes. */
  readonly setCookies: string[] = [];

  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
    /** Cookies are the host's, whatever the port (RFC 6265 §8.5): instances on one host share them, as behind a load balancer. */
    readonly cookies = new Map<string, string>(),
  ) {}

  /** The same browser (its cookies) talking to another instance. */
  at(baseUrl: string): TestBrowser {
    return new TestBrowser(baseUrl, this.headers, this.cookies);
  }

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  async get(pathOrUrl: string): Promise<PageResponse> {
    const response = await fetch(new URL(pathOrUrl, this.baseUrl), { redirect: 'manual', headers: { ...this.headers, ...this.cookieHeader() } });
    this.remember(response);
    return { status: response.status, headers: response.headers, html: await response.text(), location: response.headers.get('location') };
  }

  async post(path: string, form: Record<string, string>): Promise<PageResponse> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...this.headers, ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    this.remember(response);
    return { status: response.status, headers: response.headers, html: await response.text(), location: response.headers.get('location') };
  }

  /** Submits the page's form with its hidden fields and `fields`. */
  submit(page: PageResponse, fields: Record<string, string>, path = '/oauth/authorize'): Promise<PageResponse> {
    return this.post(path, { ...hiddenFields(page.html), ...fields });
  }
}

/** The query of a redirect back to the client, as a plain object. */
export function redirectParams(location: string | null): Record<string, string> {
  if (location === null) throw new Error('not a redirect');
  return Object.fromEntries(new URL(location).searchParams);
}

/** `/oauth/authorize?…` for these parameters. */
export function authorizePath(params: Record<string, string>): string {
  return `/oauth/authorize?${new URLSearchParams(params).toString()}`;
}
