import { type Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';
import { legacyFormat, verifyLegacy } from './legacy-hashes.ts';
import { generateSecret } from './secrets.ts';

/** argon2id cost parameters; docs/security.md sets the floor. */
export interface Argon2Params {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const MIN_ARGON2: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const ARGON2ID = 2 as Algorithm;

let hashesInFlight = 0;

/**
 * Password hashes and verifications this process has on libuv's thread pool right now. Each holds
 * a pool thread for 10–20 ms (argon2id at the floor of docs/security.md): while there is any, a
 * short job queued on the pool may wait that long, so the token endpoint signs on the event loop
 * instead (docs/tokens.md "What each costs").
 */
export function passwordHashesInFlight(): number {
  return hashesInFlight;
}

/**
 * Runs one password hash or verification on the thread pool, counted in `passwordHashesInFlight`.
 * Every hash of this module goes through it: it is the one place that knows the pool holds
 * password work.
 */
export async function hashOnThreadPool<T>(work: () => Promise<T>): Promise<T> {
  hashesInFlight++;
  try {
    return await work();
  } finally {
    hashesInFlight--;
  }
}

/**
 * Hashes and verifies human passwords. The work runs on libuv's thread pool, off the event loop.
 * `verifyDummy` performs the same work as a real verification against a hash nobody can match,
 * so that unknown and disabled users cost what real ones do.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<boolean>;
  verifyDummy(password: string): Promise<void>;
  /**
   * True when a stored hash that just verified should be replaced by a fresh argon2id hash:
   * an imported format (bcrypt, PBKDF2, scrypt), another argon2 variant, or weaker parameters.
   */
  needsRehash?(storedHash: string): boolean;
}

/** The argon2 parameters of a stored argon2 hash, or `undefined` when it is not one. */
function argon2Options(stored: string): ReturnType<typeof parseOptions> | undefined {
  if (!stored.startsWith('$argon2')) return undefined;
  try {
    return parseOptions(stored);
  } catch {
    return undefined;
  }
}

/**
 * Whether a hash can be stored for a user (imported through `apply` or `user create`): argon2
 * (id, i or d) in PHC format, or one of the imported formats of `legacy-hashes.ts`.
 */
export function isAcceptedPasswordHash(stored: string): boolean {
  return argon2Options(stored) !== undefined || legacyFormat(stored) !== undefined;
}

export function checkArgon2Params(params: Argon2Params): void {
  for (const key of ['memoryCost', 'timeCost', 'parallelism'] as const) {
    if (!Number.isInteger(params[key]) || params[key] < MIN_ARGON2[key]) {
      throw new RangeError(`argon2.${key} must be an integer of at least ${MIN_ARGON2[key]}`);
    }
  }
}

export class Argon2Hasher implements PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly params: Argon2Params = MIN_ARGON2) {
    checkArgon2Params(params);
  }

  hash(password: string): Promise<string> {
    return hashOnThreadPool(() => hash(password, { algorithm: ARGON2ID, ...this.params }));
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      // Imported formats run on the pool too: bcrypt (@node-rs/bcrypt), PBKDF2 and scrypt (node:crypto).
      return await hashOnThreadPool(() => (storedHash.startsWith('$argon2') ? verify(storedHash, password) : verifyLegacy(storedHash, password)));
    } catch {
      // A malformed stored hash is a failed login, not a server error.
      return false;
    }
  }

  needsRehash(storedHash: string): boolean {
    const options = argon2Options(storedHash);
    if (!options || options.algorithm !== ARGON2ID) return true;
    return (
      options.memoryCost < this.params.memoryCost ||
      options.timeCost < this.params.timeCost ||
      options.parallelism < this.params.parallelism
    );
  }

  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= this.hash(generateSecret());
    await this.verify(await this.dummyHash, password);
  }
}
