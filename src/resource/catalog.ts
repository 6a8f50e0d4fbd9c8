import type { Clock } from '../core/clock.ts';
import type { Acl, Service } from '../core/model.ts';
import { type CompiledTemplate, compareSpecificity, compileTemplate, ScopeCoverage } from '../core/scope-coverage.ts';
import type { CatalogStore, ClientStore } from '../store/store.ts';

/** One URL template and the service it leads to. */
export interface Route {
  template: CompiledTemplate;
  service: string;
}

/** Everything the per-request check needs besides the token, compiled once per refresh. */
export interface CatalogSnapshot {
  services: ReadonlyMap<string, Service>;
  /** Most specific first (see `compareSpecificity`). */
  routes: readonly Route[];
  acls: ReadonlyMap<string, Acl>;
  /** Scope name to its compiled resource list. */
  coverage: ReadonlyMap<string, ScopeCoverage>;
}

export function compileCatalog(services: Service[], acls: Acl[], scopes: { name: string; resources: string[] }[]): CatalogSnapshot {
  const routes: Route[] = [];
  for (const service of services) {
    for (const text of service.templates) {
      try {
        routes.push({ template: compileTemplate(text), service: service.name });
      } catch {
        // Refused when saved; an old row that no longer compiles routes nothing.
      }
    }
  }
  routes.sort((a, b) => compareSpecificity(a.template, b.template));
  return {
    services: new Map(services.map((service) => [service.name, service])),
    routes,
    acls: new Map(acls.map((acl) => [acl.resource, acl])),
    coverage: new Map(scopes.map((scope) => [scope.name, new ScopeCoverage(scope.resources)])),
  };
}

/**
 * Services, URL templates, ACLs and scopes, held in memory and reloaded from the store at most
 * once per `maxAgeSeconds` (like the settings cache): the hot path does no query for them, and a
 * change made by the CLI, `apply`, the admin API or another instance applies within that bound.
 */
export class ResourceCatalog {
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
