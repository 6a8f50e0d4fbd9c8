import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { BadGateway, UpstreamTimeout } from '../core/errors.ts';
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

/** The upstream's answer, its status and headers arrived. */
export interface UpstreamAnswer {
  /** Writes the status and headers (hop-by-hop dropped) to the client and streams the body. */
  relay(): void;
}

type Progress = 'waiting' | 'answered' | 'failed';

/**
 * A streaming reverse proxy on node:http with keep-alive agents. The request body and the
 * response body are piped, never buffered. Hop-by-hop headers are dropped both ways;
 * `Authorization`, `Host` and any client-sent `X-Portcullis-*`/`X-Forwarded-*` are replaced by the
 * gateway's own. Nothing is written to the client before the upstream's response headers arrive:
 * until then a failure is thrown (`bad_gateway` for an unreachable upstream, `upstream_timeout` for
 * one that does not answer in time) for the error boundary to answer.
 */
export class UpstreamProxy {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly options: ProxyOptions) {}

  /**
   * Sends the request upstream. Resolves once the upstream's response headers are in, with the
   * answer to relay; `undefined` when the client went away first (the upstream call is dropped too).
   */
  forward(req: IncomingMessage, res: ServerResponse, target: URL, access: Access, clientIp?: string): Promise<UpstreamAnswer | undefined> {
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
    return new Promise((resolve, reject) => {
      let progress: Progress = 'waiting';
      const upstream = (secure ? httpsRequest : httpRequest)(target, {
        method: req.method,
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
      });
      const timer = setTimeout(() => {
        progress = 'failed';
        upstream.destroy(new Error('upstream timeout'));
        this.options.logger?.warn({ upstream: target.origin, timeoutMs: this.options.timeoutMs }, 'upstream timed out');
        reject(new UpstreamTimeout(`the upstream did not answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);

      upstream.on('response', (answer) => {
        clearTimeout(timer);
        if (progress !== 'waiting') {
          answer.destroy();
          return;
        }
        progress = 'answered';
        resolve({ relay: () => relay(answer, res) });
      });
      upstream.on('error', (error) => {
        clearTimeout(timer);
        if (progress === 'answered') {
          // The upstream died mid-response: the client must see a broken response, not a short one.
          res.destroy();
          return;
        }
        if (progress === 'failed') return;
        progress = 'failed';
        this.options.logger?.warn({ upstream: target.origin, code: (error as NodeJS.ErrnoException).code }, 'upstream unreachable');
        reject(new BadGateway());
      });
      // The client went away before the upstream answered: stop the upstream call too.
      res.on('close', () => {
        clearTimeout(timer);
        if (!res.writableFinished) upstream.destroy();
        if (progress !== 'waiting') return;
        progress = 'failed';
        resolve(undefined);
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

/** Streams the upstream's answer to the client, hop-by-hop headers dropped (RFC 9110 §7.6.1). */
function relay(answer: IncomingMessage, res: ServerResponse): void {
  if (res.destroyed) {
    answer.destroy();
    return;
  }
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
  });
}
