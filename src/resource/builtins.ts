import type { Access } from './access-check.ts';

/** A service answered by Portcullis itself: a JSON body from the caller's access. */
export type BuiltinHandler = (access: Access) => Record<string, unknown>;

/**
 * `pub.portcullis:whoami` answers who the token says the caller is. Like any service, it needs a
 * scope that covers it (`pub.portcullis:whoami`, or the folder `pub.portcullis` or `pub`) and
 * passes the nearest ACL.
 */
export const BUILTIN_SERVICES: ReadonlyMap<string, BuiltinHandler> = new Map([
  [
    'pub.portcullis:whoami',
    (access: Access) => ({
      username: access.user,
      client_id: access.token.clientId,
      scope: access.token.scope.join(' '),
      ...(access.token.expiresAt !== null ? { exp: access.token.expiresAt } : {}),
    }),
  ],
]);
