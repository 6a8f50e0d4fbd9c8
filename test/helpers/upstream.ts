import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { issueNewGrant } from '../../src/authz/issue-tokens.ts';
import type { TokenResponse } from '../../src/authz/token-response.ts';
import type { App } from '../../src/app.ts';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A real node:http upstream that records what reaches it and answers with a JSON echo.
 * `/status/NNN` answers that status; `/slow` never answers (until closed).
 */
export async function startUpstream(): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url!.startsWith('/slow')) return;
      const status = /\/status\/(\d{3})/.exec(req.url!);
      res.writeHead(status ? Number(status[1]) : 200, {
        'content-type': 'application/json',
        'x-upstream': 'yes',
        connection: 'keep-alive, x-hop',
        'x-hop': 'must not pass',
      });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Issues an access token straight through the grant machinery, without a password hash. */
export async function issueToken(
  app: App,
  clientId: string,
  grant: { username: string | null; scope: string[]; withRefresh?: boolean },
): Promise<TokenResponse> {
  const client = await app.store.findClient(clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  return issueNewGrant(app.ctx, client, { withRefresh: false, ...grant });
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A request through node:http, which sends the path and headers exactly as given (fetch normalizes both). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const target = new URL(url.replace(/^(http:\/\/[^/]+).*$/, '$1'));
  const path = url.slice(target.origin.length);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
