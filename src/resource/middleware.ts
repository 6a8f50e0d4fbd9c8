import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Access } from './access-check.ts';
import { ResourceDenial } from './denial.ts';
import { writeJson } from './json-response.ts';
import { type GuardOptions, ResourceGuard } from './resource-guard.ts';

/** The request after a passed check: `req.portcullis` says who is calling. */
export type ProtectedRequest = IncomingMessage & { portcullis?: Access };

/**
 * A plain `(req, res, next)` middleware (node:http, Express, Connect): on success it sets
 * `req.portcullis` and calls `next()`; on a denial it answers per docs/resource-server.md and does not call
 * `next`; an unexpected failure goes to `next(error)`.
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
        if (error instanceof ResourceDenial) writeJson(res, error.status, error.body, error.headers);
        else next(error);
      },
    );
  };
}
