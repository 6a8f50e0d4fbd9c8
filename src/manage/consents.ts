import type { Clock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Consent } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';
import { requireClient } from './clients.ts';
import { requireUser } from './users.ts';

export function describeConsent(consent: Consent): Record<string, unknown> {
  return {
    username: consent.username,
    client_id: consent.clientId,
    scope: consent.scope,
    granted_at: new Date(consent.grantedAt * 1000).toISOString(),
  };
}

/** The consents of one user, or given to one client (docs/admin.md "Sign-in sessions and consents"). */
export async function listConsents(store: Store, of: { username: string } | { clientId: string }): Promise<Record<string, unknown>[]> {
  // A username as typed is matched canonically; the consents are stored under the account's spelling.
  if ('username' in of) of = { username: (await requireUser(store, of.username)).username };
  else await requireClient(store, of.clientId);
  const consents = await store.listConsents(of);
  const names = new Map<string, string>();
  for (const clientId of new Set(consents.map((consent) => consent.clientId))) {
    const client = await store.findClient(clientId);
    if (client) names.set(clientId, client.name);
  }
  return consents.map((consent) => ({ ...describeConsent(consent), client_name: names.get(consent.clientId) ?? null }));
}

/**
 * Withdraws what a user approved for a client: the approval page asks again next time, and the
 * client's grants for that user end (its access and refresh tokens), since they rest on the approval.
 */
export async function withdrawConsent(store: Store, clock: Clock, username: string, clientId: string): Promise<void> {
  if (!(await store.deleteConsent(username, clientId))) throw new UserError(`${username} has no consent for client ${clientId}`, 'not_found');
  const revoked = await store.revokeFamiliesOf({ username, clientId }, clock.nowSeconds());
  await auditChange(store, clock, { type: 'consent.withdrawn', username, clientId, detail: { revoked_grants: revoked } });
}
