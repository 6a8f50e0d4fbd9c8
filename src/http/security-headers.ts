import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Headers every response carries. Responses are JSON, so the policy is the strictest one: nothing
 * may load, frame or sniff them. Helmet's other headers are off: they would change nothing for JSON
 * answers (X-XSS-Protection, Origin-Agent-Cluster, …), and its HSTS would go over plain HTTP too.
 */
const setHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  xContentTypeOptions: true,
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  crossOriginEmbedderPolicy: false,
  originAgentCluster: false,
  strictTransportSecurity: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xPoweredBy: false,
  xXssProtection: false,
});

/** HSTS only over HTTPS (RFC 6797 §7.2: a user agent ignores it over plain HTTP anyway). */
const HSTS = 'max-age=31536000';

/**
 * Sets the headers on the way out, so that a hijacked reply (the gateway relaying an upstream's
 * answer) gets none. They go on the raw response; a header a route set on the reply (the console's
 * own `Content-Security-Policy`) is written after them and wins. helmet itself, not @fastify/helmet:
 * that plugin builds helmet's middleware again on every request, a loss bench:probe measured.
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not an async one: this runs on every response, including the benchmarked ones.
  app.addHook('onSend', (request, reply, payload, done) => {
    writeSecurityHeaders(request.raw, reply.raw, request.protocol === 'https');
    done(null, payload);
  });
}

/**
 * The same headers, written on a raw response: for the answers no `onSend` hook sees (Fastify's
 * refusals before routing, the gateway's relay of an upstream's answer). A header of the same
 * name already set on `res` is replaced.
 */
export function writeSecurityHeaders(req: IncomingMessage, res: ServerResponse, https: boolean): void {
  setHeaders(req, res, noError);
  if (https) res.setHeader('Strict-Transport-Security', HSTS);
}

/** helmet's `next`: with a fixed policy no header can fail. */
function noError(): void {}
