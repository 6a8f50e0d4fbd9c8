import type { ClientAuthFailure } from '../core/audit.ts';
import { InvalidClient, InvalidRequest } from '../core/errors.ts';
import type { Client } from '../core/model.ts';
import { hashSecret, secretMatches } from '../core/secrets.ts';
import type { Store } from '../store/store.ts';
import { unmatchedName } from './audit-log.ts';
import type { AuthzContext } from './context.ts';
import type { OAuthRequest } from './oauth-request.ts';
import { Throttled } from './throttle.ts';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientCredentials {
  method: ClientAuthMethod;
  clientId: string;
  secret: string | undefined;
}

/** A hash no secret can match; compared against when the client is unknown, to keep timing flat. */
const UNMATCHABLE = hashSecret('portcullis: no client has this secret');

function decodeBasicPart(part: string): string {
  // RFC 6749 §2.3.1: the id and the secret are form-urlencoded before Basic encoding. Generated
  // ids and secrets have nothing to decode, and skipping the decoder is a measurable share of the request.
  if (!part.includes('%') && !part.includes('+')) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new InvalidClient('malformed Basic credentials', { viaBasic: true });
  }
}

/**
 * RFC 7617 §2 with RFC 4648 §4 base64: groups of four, the last one padded (or unpadded); nothing
 * after the padding. Node's decoder would stop at the first `=` and ignore the rest, so that
 * `Basic <credentials>=<anything>` would pass as the credentials alone.
 */
const BASIC = /^Basic +((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?) *$/i;

function readBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = BASIC.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { clientId: decodeBasicPart(decoded.slice(0, colon)), secret: decodeBasicPart(decoded.slice(colon + 1)) };
}

/**
 * Reads the client's credentials from the request (RFC 6749 §2.3.1): HTTP Basic or the body,
 * never both. Does NOT check them; see `authenticateClient`.
 */
export function readClientCredentials(request: OAuthRequest): ClientCredentials {
  const body = request.params;
  const header = request.authorization;
  if (header !== undefined && /^Basic\b/i.test(header)) {
    if (body.client_secret !== undefined) {
      throw new InvalidRequest('use one client authentication method, not both');
    }
    const basic = readBasic(header);
    if (!basic) throw new InvalidClient('malformed Basic credentials', { viaBasic: true });
    if (body.client_id !== undefined && body.client_id !== basic.clientId) {
      throw new InvalidRequest('client_id in the body differs from the Basic credentials');
    }
    return { method: 'client_secret_basic', ...basic };
  }
  if (body.client_id === undefined || body.client_id === '') {
    throw new InvalidClient('client authentication is required');
  }
  if (body.client_secret !== undefined) {
    return { method: 'client_secret_post', clientId: body.client_id, secret: body.client_secret };
  }
  return { method: 'none', clientId: body.client_id, secret: undefined };
}

/** What client authentication needs besides the store: throttling and the audit log, per request. */
export interface ClientAuthGuard {
  ctx: Pick<AuthzContext, 'throttle' | 'audit' | 'clock'>;
  ip: string;
}

/** The guard of one request, for the endpoints. */
export function clientGuard(ctx: AuthzContext, request: OAuthRequest): ClientAuthGuard {
  return { ctx, ip: request.ip };
}

function failureReason(client: Client | undefined, credentials: ClientCredentials, secretOk: boolean): ClientAuthFailure | undefined {
  if (client === undefined) return 'unknown_client';
  if (!client.enabled) return 'disabled_client';
  if (client.type === 'confidential') {
    if (credentials.secret === undefined) return 'missing_secret';
    return secretOk ? undefined : 'wrong_secret';
  }
  return (credentials.secret ?? '') === '' ? undefined : 'unexpected_secret';
}

/**
 * Authenticates a client: it must exist, be enabled, and prove its secret if confidential (compared
 * in constant time; an unknown client costs the same comparison). A public client proves nothing
 * but must not present a secret. Every failure is the same `401 invalid_client`, with
 * `WWW-Authenticate: Basic` when Basic was used (RFC 6749 §5.2). Failures are counted per
 * (client, address) and audited; a blocked pair is refused with `429` before any comparison.
 */
export async function authenticateClient(store: Store, credentials: ClientCredentials, guard: ClientAuthGuard): Promise<Client> {
  // Looked up first (client ids are not secrets) so that ids matching no client share one counter
  // per address instead of a counter each; still before any comparison.
  const client = await store.findClient(credentials.clientId);
  try {
    await guard.ctx.throttle.beforeClientSecret(client?.id ?? null, guard.ip);
  } catch (error) {
    if (error instanceof Throttled) {
      guard.ctx.audit.record({
        at: guard.ctx.clock.nowSeconds(),
        type: 'client_auth.throttled',
        ip: guard.ip,
        clientId: client?.id ?? unmatchedName(credentials.clientId),
        reason: error.reason,
      });
    }
    throw error;
  }
  const presented = credentials.secret ?? '';
  const secretOk = secretMatches(presented, client?.secretHash ?? UNMATCHABLE);
  const reason = failureReason(client, credentials, secretOk);
  if (reason !== undefined || client === undefined) {
    await guard.ctx.throttle.clientFailed(client?.id ?? null, guard.ip);
    guard.ctx.audit.record({
      at: guard.ctx.clock.nowSeconds(),
      type: 'client_auth.failed',
      ip: guard.ip,
      clientId: client?.id ?? unmatchedName(credentials.clientId),
      reason: reason ?? 'unknown_client',
    });
    throw new InvalidClient('client authentication failed', { viaBasic: credentials.method === 'client_secret_basic' });
  }
  return client;
}

/** Introspection is for confidential clients only (RFC 7662 §2.1: the endpoint must be protected). */
export function requireConfidential(client: Client, credentials: ClientCredentials): void {
  if (client.type !== 'confidential') {
    throw new InvalidClient('this endpoint requires a confidential client', { viaBasic: credentials.method === 'client_secret_basic' });
  }
}
