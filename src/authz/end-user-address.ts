import { normalizeAddress } from '../core/client-address.ts';
import { InvalidRequest } from '../core/errors.ts';
import type { Client } from '../core/model.ts';
import type { OAuthRequest } from './oauth-request.ts';

/**
 * The address a password attempt is counted and audited under (docs/security.md#users-behind-one-server):
 * the request's own, unless a backend client trusted for it (`trustedForEndUserAddress`) passes its
 * end user's address in `end_user_ip`. Then each end user has their own (username, address) and
 * address budgets, and one user's typos never block the backend's other users. `end_user_ip` from
 * any other client, or one that is not an IP address, is `400 invalid_request`. Call after the
 * client is authenticated; the client's own authentication is always counted under its own address.
 */
export function endUserAddress(client: Client, request: OAuthRequest): string {
  const given = request.params.end_user_ip;
  if (given === undefined) return request.ip;
  if (!client.trustedForEndUserAddress) {
    throw new InvalidRequest('end_user_ip is accepted only from a client trusted for end-user addresses', { field: 'end_user_ip' });
  }
  const address = normalizeAddress(given);
  if (address === null) throw new InvalidRequest('end_user_ip is not an IP address', { field: 'end_user_ip' });
  return address;
}
