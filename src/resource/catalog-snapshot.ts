import type { Acl, Service } from '../core/model.ts';
import { type CompiledTemplate, compareSpecificity, compileTemplate, ScopeCoverage } from '../core/scope-coverage.ts';

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

/** Where the check gets its catalog (from the Portcullis store: `ResourceCatalog`). */
export interface CatalogSource {
  snapshot(): Promise<CatalogSnapshot>;
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
