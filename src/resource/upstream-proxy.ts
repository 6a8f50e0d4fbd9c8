import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { Access } from './access-check.ts';

/** RFC 9110 §7.6.1: connection-specific headers, never forwarded by a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers the gateway owns: the credential stays here, identity is ours to state. */
function isGatewayOwned(name: string): boolean {
  return name === 'authorization' || name === 'host' || name.startsWith('x-portcullis-') || name.startsWith('x-forwarded-');
}

/** Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  return new Set(
    (value ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

/** Header values are Latin-1 on the wire; a non-ASCII username is sent percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

/** RFC 9112 §6.3: a request has a body only with Transfer-Encoding or a non-zero Content-Length. */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

export interface ProxyOptions {
  /** Milliseconds to wait for the upstream's response headers (then 504), and idle time on the socket. */
  timeoutMs: number;
  logger?: Logger;
}

function sendJson(res: ServerResponse, status: number, body: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A streaming reverse proxy on node:http with keep-alive agents. The request body and the
 * response body are piped, never buffered. Hop-by-hop headers are dropped both ways;
 * `Authorization`, `Host` and any client-sent `X-Portcullis-*`/`X-Forwarded-*` are replaced by the
 * gateway's own. An unreachable upstream answers 502, one that does not answer in time 504,
 * each with a JSON body saying so.
 */
export class UpstreamProxy {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly options: ProxyOptions) {}

  forward(req: IncomingMessage, res: ServerResponse, target: URL, access: Access, clientIp?: string): Promise<void> {
    const skip = connectionListed(req.headers);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || skip.has(name) || isGatewayOwned(name)) continue;
      headers[name] = value;
    }
    if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
    headers.host = target.host;
    // Only the address we determined is ours to vouch for; a client-sent X-Forwarded-For is dropped.
    headers['x-forwarded-for'] = clientIp ?? req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
    if (access.user !== null) headers['x-portcullis-user'] = headerSafe(access.user);
    headers['x-portcullis-client'] = headerSafe(access.token.clientId);
    headers['x-portcullis-scope'] = access.token.scope.join(' ');

    const secure = target.protocol === 'https:';
    return new Promise((resolve) => {
      let settled = false;
      const done = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      const upstream = (secure ? httpsRequest : httpRequest)(target, {
        method: req.method,
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
      });
      const timer = setTimeout(() => {
        upstream.destroy(new Error('upstream timeout'));
        this.options.logger?.warn({ upstream: target.origin, timeoutMs: this.options.timeoutMs }, 'upstream timed out');
        sendJson(res, 504, { error: 'upstream_timeout', error_description: `the upstream did not answer within ${this.options.timeoutMs} ms` });
        done();
      }, this.options.timeoutMs);

      upstream.on('response', (answer) => {
        clearTimeout(timer);
        const skipBack = connectionListed(answer.headers);
        const back: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || HOP_BY_HOP.has(name) || skipBack.has(name)) continue;
          back[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, back);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        res.on('close', () => {
          if (!answer.complete) answer.destroy();
          done();
        });
      });
      upstream.on('error', (error) => {
        clearTimeout(timer);
        if (settled) return;
        if (res.headersSent) {
          // The upstream died mid-response: the client must see a broken response, not a short one.
          res.destroy();
          done();
          return;
        }
        this.options.logger?.warn({ upstream: target.origin, code: (error as NodeJS.ErrnoException).code }, 'upstream unreachable');
        sendJson(res, 502, { error: 'bad_gateway', error_description: 'the upstream could not be reached' });
        done();
      });
      // The client went away before the upstream answered: stop the upstream call too.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        clearTimeout(timer);
        done();
      });
      if (hasBody(req)) {
        req.pipe(upstream);
      } else {
        // Piping an empty body delays the upstream request by a tick or more; end it at once.
        req.resume();
        upstream.end();
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
