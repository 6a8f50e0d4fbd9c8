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
 * The headers helmet writes for the policy above, asked of it once: the policy is fixed, so every
 * answer carries the same names and values, and helmet's middleware (which builds the
 * Content-Security-Policy text again on every call) need not run per answer.
 */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const capture = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = value;
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  setHeaders({} as IncomingMessage, capture as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) throw error as Error;
  });
  return headers;
}

const OVER_HTTP: Readonly<Record<string, string>> = Object.freeze(helmetHeaders());
const OVER_HTTPS: Readonly<Record<string, string>> = Object.freeze({ ...OVER_HTTP, 'strict-transport-security': HSTS });

/**
 * Puts the headers on every reply as it starts (an `onRequest` hook), as reply headers: a header a
 * route sets later (the console's own `Content-Security-Policy`, a sign-in page's) replaces its
 * namesake, and a hijacked reply (the gateway relaying an upstream's answer) writes none of them,
 * since it writes its own (`writeSecurityHeaders`). Reply headers, not the raw response's: Fastify
 * then hands Node one object at `writeHead`, instead of Node merging it into headers set one by one.
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not an async one: this runs on every request, including the benchmarked ones.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.protocol === 'https' ? OVER_HTTPS : OVER_HTTP);
    done();
  });
}

/**
 * The same headers, written on a raw response: for the answers no Fastify reply carries (Fastify's
 * refusals before routing, the gateway's relay of an upstream's answer). A header of the same
 * name already set on `res` is replaced.
 */
export function writeSecurityHeaders(_req: IncomingMessage, res: ServerResponse, https: boolean): void {
  for (const [name, value] of Object.entries(https ? OVER_HTTPS : OVER_HTTP)) res.setHeader(name, value);
}
