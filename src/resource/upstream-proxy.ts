import { Agent as HttpAgent, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { BadGateway, UpstreamTimeout } from '../core/errors.ts';
import type { Access } from './access-check.ts';
import { clientResponseHeaders, type ForwardedFacts, upstreamRequestHeaders } from './proxy-headers.ts';

/** RFC 9112 §6.3: a request has a body only with Transfer-Encoding or a non-zero Content-Length. */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

export interface ProxyOptions {
  logger?: Logger;
}

/** The upstream's answer, its status and headers arrived. */
export interface UpstreamAnswer {
  /**
   * Writes the status and headers to the client (docs/resource-server.md "Headers": hop-by-hop
   * ones and Portcullis's own cookies dropped) and streams the body. `decorate` sets headers of
   * the server's own on the response first; the upstream's headers of the same name are dropped.
   */
  relay(decorate?: (res: ServerResponse) => void): void;
}

type Progress = 'waiting' | 'answered' | 'failed';

/**
 * A streaming reverse proxy on node:http with keep-alive agents. The request body and the
 * response body are piped, never buffered. The headers follow `proxy-headers.ts`: hop-by-hop
 * ones dropped both ways, the gateway's own (`Authorization`, `Host`, `X-Portcullis-*`, the
 * forwarding headers) replaced whatever the client wrote, Portcullis's cookies never set. Nothing is written to the client before the upstream's response headers arrive:
 * until then a failure is thrown (`bad_gateway` for an unreachable upstream, `upstream_timeout` for
 * one that does not answer in time) for the error boundary to answer.
 */
export class UpstreamProxy {
  // No cap per upstream host: a cap shared by every service on a host let one slow service's calls
  // take every socket and starve the others. Each service is capped by its own concurrency
  // limit instead (the gateway's), and idle sockets kept are bounded.
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxFreeSockets: 256 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 256 });

  constructor(private readonly options: ProxyOptions) {}

  /**
   * Sends the request upstream. Resolves once the upstream's response headers are in, with the
   * answer to relay; `undefined` when the client went away first (the upstream call is dropped too).
   */
  forward(req: IncomingMessage, res: ServerResponse, target: URL, access: Access, facts: ForwardedFacts, timeoutMs: number): Promise<UpstreamAnswer | undefined> {
    // Only what the server determined is ours to vouch for: every client-sent forwarding header is dropped.
    const headers = upstreamRequestHeaders(req.headers, target, access, facts);

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
        this.options.logger?.warn({ upstream: target.origin, timeoutMs }, 'upstream timed out');
        reject(new UpstreamTimeout(`the upstream did not answer within ${timeoutMs} ms`));
      }, timeoutMs);

      upstream.on('response', (answer) => {
        clearTimeout(timer);
        if (progress !== 'waiting') {
          answer.destroy();
          return;
        }
        progress = 'answered';
        resolve({ relay: (decorate) => relay(answer, res, decorate) });
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

/** Streams the upstream's answer to the client, its headers filtered by `clientResponseHeaders`. */
function relay(answer: IncomingMessage, res: ServerResponse, decorate?: (res: ServerResponse) => void): void {
  if (res.destroyed) {
    answer.destroy();
    return;
  }
  const back = clientResponseHeaders(answer.headers);
  if (decorate) {
    decorate(res);
    for (const name of res.getHeaderNames()) delete back[name];
  }
  res.writeHead(answer.statusCode ?? 502, answer.statusMessage, back);
  answer.pipe(res);
  answer.on('error', () => res.destroy());
  res.on('close', () => {
    if (!answer.complete) answer.destroy();
  });
}
