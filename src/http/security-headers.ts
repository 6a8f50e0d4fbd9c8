import type { FastifyInstance } from 'fastify';

/**
 * Headers every response carries. Responses are JSON, so the policy is the strictest one: nothing
 * may load, frame or sniff them. A route that serves HTML (the console) sets its own
 * `Content-Security-Policy` first, and this hook leaves it alone.
 */
const FIXED_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** HSTS only over HTTPS (RFC 6797 §7.2: a user agent ignores it over plain HTTP anyway). */
const HSTS = 'max-age=31536000';

export function addSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not an async one: this runs on every response, including the benchmarked ones.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(FIXED_HEADERS);
    if (!reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', DEFAULT_CSP);
    if (request.protocol === 'https') reply.header('Strict-Transport-Security', HSTS);
    done(null, payload);
  });
}
