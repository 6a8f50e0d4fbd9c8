import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Scope } from '../core/model.ts';
import { parseResource } from '../core/resource-name.ts';
import { isValidScopeName } from '../core/scope.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';
import { updateClient } from './clients.ts';

/** Creates or replaces a scope after checking its name and every resource it lists (README "Concepts"). */
export async function saveScope(store: Store, scope: Scope, clock: Clock = systemClock): Promise<Scope> {
  if (!isValidScopeName(scope.name)) {
    throw new UserError('scope names are 1 to 100 printable ASCII characters, without spaces, \\ , or "', 'invalid_request', 'name');
  }
  const resources = [...new Set(scope.resources.map((resource) => resource.trim()).filter((resource) => resource !== ''))];
  for (const resource of resources) {
    if (!parseResource(resource)) {
      throw new UserError(
        `resource "${resource}" is not a folder (orders.v1), a service (orders.v1:getOrder) or a URL template (GET /rest/orders/{id})`,
        'invalid_request',
        'resources',
      );
    }
  }
  const saved: Scope = { name: scope.name, description: scope.description, resources, public: scope.public ?? false };
  await store.saveScope(saved);
  await auditChange(store, clock, { type: 'scope.saved', detail: { scope: saved.name, resources: resources.length, public: saved.public ?? false } });
  return saved;
}

export async function deleteScope(store: Store, name: string, clock: Clock = systemClock): Promise<void> {
  if (!(await store.deleteScope(name))) throw new UserError(`no scope ${name}`, 'not_found');
  await auditChange(store, clock, { type: 'scope.deleted', detail: { scope: name } });
}

/** Creates a scope; unlike `saveScope`, refuses to replace an existing one. */
export async function createScope(store: Store, scope: Scope, clock: Clock = systemClock): Promise<Scope> {
  if (await store.findScope(scope.name)) throw new UserError(`scope ${scope.name} already exists`, 'conflict', 'name');
  return saveScope(store, scope, clock);
}

export async function requireScope(store: Store, name: string): Promise<Scope> {
  const scope = await store.findScope(name);
  if (!scope) throw new UserError(`no scope ${name}`, 'not_found');
  return scope;
}

/** The ids of the clients a scope is associated with. */
export async function clientsOfScope(store: Store, name: string): Promise<string[]> {
  await requireScope(store, name);
  return (await store.listClients()).filter((client) => client.scopes.includes(name)).map((client) => client.id);
}

/** Associates a client with exactly these scopes (the client side of the association). */
export async function setClientScopes(store: Store, clientId: string, scopes: string[], clock: Clock = systemClock): Promise<string[]> {
  for (const name of scopes) {
    if (!(await store.findScope(name))) throw new UserError(`scope ${name} does not exist`, 'invalid_request', 'scopes');
  }
  return (await updateClient(store, clientId, { scopes: [...new Set(scopes)] }, clock)).scopes;
}

/**
 * Associates a scope with exactly these clients (the scope side): the scope is added to each listed
 * client and removed from every other one. Every client is checked before anything changes.
 */
export async function setScopeClients(store: Store, name: string, clientIds: string[], clock: Clock = systemClock): Promise<string[]> {
  await requireScope(store, name);
  const wanted = new Set(clientIds);
  for (const id of wanted) {
    if (!(await store.findClient(id))) throw new UserError(`no client ${id}`, 'invalid_request', 'client_ids');
  }
  for (const client of await store.listClients()) {
    const has = client.scopes.includes(name);
    if (has === wanted.has(client.id)) continue;
    const scopes = has ? client.scopes.filter((scope) => scope !== name) : [...client.scopes, name];
    await updateClient(store, client.id, { scopes }, clock);
  }
  return clientsOfScope(store, name);
}
