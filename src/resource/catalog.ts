import type { Clock } from '../core/clock.ts';
import type { CatalogStore, ClientStore } from '../store/store.ts';
import { type CatalogSnapshot, type CatalogSource, compileCatalog } from './catalog-snapshot.ts';

/**
 * Services, URL templates, ACLs and scopes, held in memory and reloaded from the store at most
 * once per `maxAgeSeconds` (like the settings cache): the hot path does no query for them, and a
 * change made by the CLI, `apply`, the admin API or another instance applies within that bound.
 */
export class ResourceCatalog implements CatalogSource {
  private cached: CatalogSnapshot | undefined;
  private loadedAt = -Infinity;
  private loading: Promise<CatalogSnapshot> | undefined;

  constructor(
    private readonly store: CatalogStore & Pick<ClientStore, 'listScopes'>,
    private readonly clock: Clock,
    private readonly maxAgeSeconds = 5,
  ) {}

  async snapshot(): Promise<CatalogSnapshot> {
    const now = this.clock.nowSeconds();
    if (this.cached && now - this.loadedAt < this.maxAgeSeconds) return this.cached;
    // Concurrent requests share one reload.
    this.loading ??= this.load(now).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async load(now: number): Promise<CatalogSnapshot> {
    const [services, acls, scopes] = await Promise.all([this.store.listServices(), this.store.listAcls(), this.store.listScopes()]);
    this.cached = compileCatalog(services, acls, scopes);
    this.loadedAt = now;
    return this.cached;
  }
}
