import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { generateSecret } from './secrets.ts';

/** argon2id cost parameters; SPEC §4 sets the floor. */
export interface Argon2Params {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const MIN_ARGON2: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const ARGON2ID = 2 as Algorithm;

/**
 * Hashes and verifies human passwords. The work runs on libuv's thread pool, off the event loop.
 * `verifyDummy` performs the same work as a real verification against a hash nobody can match,
 * so that unknown and disabled users cost what real ones do.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<boolean>;
  verifyDummy(password: string): Promise<void>;
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
    return hash(password, { algorithm: ARGON2ID, ...this.params });
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      return await verify(storedHash, password);
    } catch {
      // A malformed stored hash is a failed login, not a server error.
      return false;
    }
  }

  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= this.hash(generateSecret());
    await this.verify(await this.dummyHash, password);
  }
}
