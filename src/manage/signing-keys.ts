import { addNextKey } from '../authz/key-ring.ts';
import type { Clock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../core/model.ts';
import type { SecretBox } from '../core/secret-box.ts';
import { keyStatuses } from '../core/signing-keys.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';

const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

/** The signing keys as `keys list` and the admin API show them, oldest first; never a private part. */
export async function listSigningKeys(store: Store, clock: Clock): Promise<Record<string, unknown>[]> {
  const now = clock.nowSeconds();
  return keyStatuses(await store.listSigningKeys(), now).map((status) => ({
    kid: status.key.kid,
    alg: status.key.alg,
    state: status.state,
    published: status.removedAt === null || now < status.removedAt,
    created_at: iso(status.key.createdAt),
    signs_from: iso(status.key.activatesAt),
    retired_at: iso(status.retiredAt),
    unpublished_at: iso(status.removedAt),
  }));
}

export function parseSigningAlgorithm(value: string): SigningAlgorithm {
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(value)) throw new UserError(`the algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  return value as SigningAlgorithm;
}

/**
 * Starts a rotation (docs/tokens.md "Rotation"): a new key, published now, signing after the
 * publish delay; the current key retires then. Keys no longer published are deleted. Safe while
 * other instances rotate too: one of them adds the key, the others are told so.
 */
export async function rotateSigningKey(
  store: Store,
  box: SecretBox,
  clock: Clock,
  options: { alg?: SigningAlgorithm } = {},
): Promise<{ kid: string; alg: SigningAlgorithm; signsFrom: string }> {
  const now = clock.nowSeconds();
  const settings = await store.getSettings();
  const key = await addNextKey(store, box, now, settings, options);
  if (!key) throw new UserError('another rotation was made at the same moment: see keys list', 'conflict');
  for (const status of keyStatuses(await store.listSigningKeys(), now)) {
    if (status.removedAt !== null && now >= status.removedAt) await store.deleteSigningKey(status.key.kid);
  }
  await auditChange(store, clock, { type: 'signing_key.rotated', detail: { kid: key.kid, alg: key.alg, signs_from: key.activatesAt } });
  return { kid: key.kid, alg: key.alg, signsFrom: iso(key.activatesAt)! };
}
