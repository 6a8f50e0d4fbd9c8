import { type Algorithm, hash, parseOptions } from '@node-rs/argon2';
import { Argon2Hasher, type PasswordHasher } from '../../src/core/password-hash.ts';
import { generateSecret } from '../../src/core/secrets.ts';

/**
 * The smallest argon2id cost @node-rs/argon2 accepts (8 KiB, one pass): far below the floor of
 * docs/security.md, which Argon2Hasher enforces, so it exists only here.
 */
const CHEAP = { algorithm: 2 as Algorithm, memoryCost: 8, timeCost: 1, parallelism: 1 };

/**
 * For tests where password hashing is not what is under test: real argon2id at the lowest cost,
 * about a hundred times cheaper than the production floor. Verification is real (a wrong password
 * fails), and `verifyDummy` does what a real verification does, as in production.
 */
export class CheapHasher implements PasswordHasher {
  // argon2 verification reads the cost from the stored hash, so the production verifier checks these
  // hashes at their own cost; it also reads the imported formats (bcrypt, PBKDF2, scrypt).
  private readonly verifier = new Argon2Hasher();
  private dummyHash: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return hash(password, CHEAP);
  }

  verify(storedHash: string, password: string): Promise<boolean> {
    return this.verifier.verify(storedHash, password);
  }

  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= this.hash(generateSecret());
    await this.verify(await this.dummyHash, password);
  }

  /** As production, relative to this cost: anything but argon2id is upgraded (no argon2id is cheaper). */
  needsRehash(storedHash: string): boolean {
    if (!storedHash.startsWith('$argon2')) return true;
    try {
      return parseOptions(storedHash).algorithm !== CHEAP.algorithm;
    } catch {
      return true;
    }
  }
}
