import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningAlgorithm, SigningKeyRecord } from './model.ts';
import type { SecretBox } from './secret-box.ts';

export type SigningKeyState = 'next' | 'current' | 'retired';

/** A signing key with its state at one moment, and until when it stays published. */
export interface SigningKeyStatus {
  key: SigningKeyRecord;
  state: SigningKeyState;
  /** Retired keys: when the next generation took over. */
  retiredAt: number | null;
  /** Retired keys: when it leaves the JWKS (the last token it signed has expired). */
  removedAt: number | null;
}

/**
 * The state of every key at `now` (docs/tokens.md "Rotation"). The current key is the newest
 * generation already active; newer ones are `next` (published, not signing); older ones are
 * `retired`, and stay published until their successor has been active for its `retainPrevious`
 * seconds. Before the first key activates, the oldest is current.
 */
export function keyStatuses(keys: SigningKeyRecord[], now: number): SigningKeyStatus[] {
  const sorted = [...keys].sort((a, b) => a.generation - b.generation);
  let currentIndex = -1;
  sorted.forEach((key, index) => {
    if (key.activatesAt <= now) currentIndex = index;
  });
  if (currentIndex < 0 && sorted.length > 0) currentIndex = 0;
  return sorted.map((key, index) => {
    if (index === currentIndex) return { key, state: 'current', retiredAt: null, removedAt: null };
    if (index > currentIndex) return { key, state: 'next', retiredAt: null, removedAt: null };
    const successor = sorted[index + 1]!;
    return { key, state: 'retired', retiredAt: successor.activatesAt, removedAt: successor.activatesAt + successor.retainPrevious };
  });
}

/** The keys at one moment, as signers and verifiers need them (docs/tokens.md "Rotation"). */
export interface KeySetView {
  /** The key that signs. */
  current: SigningKeyRecord;
  /** The published keys: next, current, and retired ones whose tokens may still be live. */
  published: SigningKeyRecord[];
  /** The JWKS of `published` (RFC 7517 §5). */
  jwks: { keys: JWK[] };
  /** Since when this view holds, and until when: the next moment a key starts signing or leaves the JWKS. */
  from: number;
  until: number;
}

/**
 * The view of `keys` at `now`, computed once and reused until `until` (or until the keys change):
 * the statuses depend only on the time and on the keys. `undefined` when there is no key.
 */
export function keySetAt(keys: SigningKeyRecord[], now: number): KeySetView | undefined {
  const statuses = keyStatuses(keys, now);
  const current = statuses.find((status) => status.state === 'current');
  if (!current) return undefined;
  const published = statuses.filter((status) => status.removedAt === null || now < status.removedAt);
  let until = Infinity;
  for (const status of statuses) {
    if (status.key.activatesAt > now) until = Math.min(until, status.key.activatesAt);
    if (status.removedAt !== null && status.removedAt > now) until = Math.min(until, status.removedAt);
  }
  return { current: current.key, published: published.map((status) => status.key), jwks: toJwks(published), from: now, until };
}

/** The JSON Web Key Set of RFC 7517 §5 for these keys. */
export function toJwks(statuses: SigningKeyStatus[]): { keys: JWK[] } {
  return { keys: statuses.map((status) => ({ ...status.key.publicJwk })) };
}

/** The context a key's private half is sealed for: a sealed key copied to another row does not open. */
export function sealContext(kid: string): string {
  return `signing-key:${kid}`;
}

/**
 * Makes a new key pair of `alg`; the `kid` is its RFC 7638 thumbprint. The private JWK leaves
 * this function only sealed under the server key.
 */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  box: SecretBox,
  times: { generation: number; createdAt: number; activatesAt: number; retainPrevious: number },
): Promise<SigningKeyRecord> {
  const pair = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(pair.privateKey);
  return {
    kid,
    generation: times.generation,
    alg,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateSealed: box.seal(JSON.stringify(privateJwk), sealContext(kid)),
    createdAt: times.createdAt,
    activatesAt: times.activatesAt,
    retainPrevious: times.retainPrevious,
  };
}
