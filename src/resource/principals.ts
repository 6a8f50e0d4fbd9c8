import type { Clock } from '../core/clock.ts';
import type { User } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import type { Principal, PrincipalSource } from './access-check.ts';
import type { VerifiedToken } from './token-verifier.ts';

interface Entry {
  principal: Principal;
  loadedAt: number;
}

/**
 * Looks up group memberships, cached per user or client for at most `maxAgeSeconds` (the same
 * bound as the catalog), and only asked when an ACL applies to the request. A directory user's
 * groups are the store's copy (docs/directory.md): the request never waits for the directory; a
 * copy past its age is refreshed in the background, and an outage keeps it as it was.
 */
export class PrincipalDirectory implements PrincipalSource {
  // Not lru-cache: its TTLs run on performance.now() (its docs advise against another clock), and this bound is in seconds on the injected clock.
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly maxAgeSeconds = 5,
    private readonly maxEntries = 10_000,
    private readonly directory?: { refreshIfStale(user: User): void },
  ) {}

  async resolve(token: VerifiedToken): Promise<Principal> {
    const key = token.username !== null ? `u:${token.username}` : `c:${token.clientId}`;
    const now = this.clock.nowSeconds();
    const cached = this.cache.get(key);
    if (cached && now - cached.loadedAt < this.maxAgeSeconds) return cached.principal;

    const principal = await this.load(token);
    if (this.maxAgeSeconds > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { principal, loadedAt: now });
    }
    return principal;
  }

  private async load(token: VerifiedToken): Promise<Principal> {
    let username = token.username;
    if (username === null) {
      const client = await this.store.findClient(token.clientId);
      username = client?.serviceUser ?? null;
      if (username === null) return { user: null, groups: undefined };
    }
    const user = await this.store.findUser(username);
    if (user?.directory) this.directory?.refreshIfStale(user);
    return { user: username, groups: user && user.enabled ? user.groups : undefined };
  }
}
