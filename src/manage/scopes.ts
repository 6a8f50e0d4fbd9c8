import { UserError } from '../core/errors.ts';
import type { Scope } from '../core/model.ts';
import { parseResource } from '../core/resource-name.ts';
import { isValidScopeName } from '../core/scope.ts';
import type { Store } from '../store/store.ts';

/** Creates or replaces a scope after checking its name and every resource it lists (SPEC §1). */
export async function saveScope(store: Store, scope: Scope): Promise<Scope> {
  if (!isValidScopeName(scope.name)) {
    throw new UserError('scope names are 1 to 100 printable ASCII characters, without spaces, \\ , or "');
  }
  const resources = [...new Set(scope.resources.map((resource) => resource.trim()).filter((resource) => resource !== ''))];
  for (const resource of resources) {
    if (!parseResource(resource)) {
      throw new UserError(
        `resource "${resource}" is not a folder (orders.v1), a service (orders.v1:getOrder) or a URL template (GET /rest/orders/{id})`,
      );
    }
  }
  const saved = { name: scope.name, description: scope.description, resources };
  await store.saveScope(saved);
  return saved;
}

export async function deleteScope(store: Store, name: string): Promise<void> {
  if (!(await store.deleteScope(name))) throw new UserError(`no scope ${name}`, 404);
}
