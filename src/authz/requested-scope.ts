import { InvalidScope } from '../core/errors.ts';
import type { Client } from '../core/model.ts';
import { isSubset, parseScopeParam } from '../core/scope.ts';

/**
 * The scope a new grant gets (RFC 6749 §3.3): the requested scopes if every one is associated with
 * the client, all of the client's scopes if none was requested. Does NOT look at the resource owner.
 */
export function resolveRequestedScope(client: Client, raw: string | undefined): string[] {
  const requested = parseScopeParam(raw);
  if (requested === undefined) return [...client.scopes];
  if (!isSubset(requested, client.scopes)) {
    throw new InvalidScope('the requested scope is not associated with this client');
  }
  return requested;
}
