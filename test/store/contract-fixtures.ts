import { randomUUID } from 'node:crypto';
import type { Client, TokenFamily, TokenRecord, User } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import type { Store } from '../../src/store/store.ts';

/** Records for the store contract suite: every one unique, so tests never collide. */
export const NOW = 1_700_000_000;

export function client(overrides: Partial<Client> = {}): Client {
  return {
    id: randomUUID(),
    name: `app-${randomUUID().slice(0, 8)}`,
    version: '1',
    description: '',
    type: 'confidential',
    secretHash: hashSecret('secret'),
    grants: ['password', 'refresh_token'],
    scopes: [],
    accessTokenTtl: 'global',
    refreshLimit: null,
    refreshTokenTtl: 3600,
    enabled: true,
    introspect: false,
    trustedForEndUserAddress: false,
    serviceUser: null,
    redirectUris: [],
    consent: 'remember',
    tokenFormat: 'opaque',
    createdAt: NOW,
    ...overrides,
  };
}

export function user(username: string, overrides: Partial<User> = {}): User {
  return { username, passwordHash: '$argon2id$fake', groups: [], enabled: true, createdAt: NOW, ...overrides };
}

export interface Grant {
  family: TokenFamily;
  access: TokenRecord;
  refresh: TokenRecord;
}

/** An original grant: a family with one access and one refresh token. */
export function grant(clientId: string, username: string | null, options: { at?: number; accessTtl?: number | null; refreshTtl?: number } = {}): Grant {
  const at = options.at ?? NOW;
  const family: TokenFamily = { id: randomUUID(), clientId, username, scope: ['read', 'write'], refreshCount: 0, createdAt: at, revokedAt: null, authentication: null };
  const base = { familyId: family.id, clientId, username, scope: ['read', 'write'], issuedAt: at, revokedAt: null, rotatedAt: null };
  const accessTtl = options.accessTtl === undefined ? 60 : options.accessTtl;
  return {
    family,
    access: { ...base, hash: hashSecret(generateSecret()), kind: 'access', expiresAt: accessTtl === null ? null : at + accessTtl },
    refresh: { ...base, hash: hashSecret(generateSecret()), kind: 'refresh', expiresAt: at + (options.refreshTtl ?? 3600) },
  };
}

/** The tokens a refresh would mint (the store sets their family). */
export function successors(of: Grant, at: number): TokenRecord[] {
  const next = grant(of.family.clientId, of.family.username, { at });
  return [next.access, next.refresh].map((token) => ({ ...token, familyId: of.family.id }));
}

export async function saveGrant(store: Store, g: Grant): Promise<Grant> {
  await store.saveFamily(g.family, [g.access, g.refresh]);
  return g;
}

