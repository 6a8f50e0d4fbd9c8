import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuthError } from '../core/errors.ts';
import type { Access } from './access-check.ts';
import { type GuardOptions, ResourceGuard } from './resource-guard.ts';

/** The request after a passed check: `req.portcullis` says who is calling. */
export type ProtectedRequest = IncomingMessage & { portcullis?: Access };

/** Writes a refusal as the Portcullis server does: the catalogue's status, headers and JSON body. */
function sendRefusal(res: ServerResponse, refusal: OAuthError): void {
  const text = JSON.stringify(refusal.body);
  res.writeHead(refusal.status, {
    ...refusal.headers,
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * A plain `(req, res, next)` middleware (node:http, Express, Connect): on success it sets
 * `req.portcullis` and calls `next()`; on a refusal it answers as docs/errors.md lists and does not
 * call `next`; an unexpected failure goes to `next(error)`.
 */
export function portcullisMiddleware(
  options: GuardOptions,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const guard = new ResourceGuard(options);
  return (req, res, next) => {
    guard.check(req).then(
      (access) => {
        (req as ProtectedRequest).portcullis = access;
        next();
      },
      (error: unknown) => {
        if (error instanceof OAuthError) sendRefusal(res, error);
        else next(error);
      },
    );
  };
}
