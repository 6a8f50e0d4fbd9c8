import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Acl } from '../core/model.ts';
import { isValidFolderName, isValidServiceName } from '../core/resource-name.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';

/**
 * Sets the ACL of a folder or a service, replacing the one it had. Every group must exist, so that
 * a typo cannot silently lock everyone out (or, in a deny list, let everyone in).
 */
export async function setAcl(store: Store, input: Acl, clock: Clock = systemClock): Promise<Acl> {
  if (!isValidFolderName(input.resource) && !isValidServiceName(input.resource)) {
    throw new UserError('an ACL belongs to a folder (orders.v1) or a service (orders.v1:getOrder)', 'invalid_request', 'resource');
  }
  const allow = [...new Set(input.allow)];
  const deny = [...new Set(input.deny)];
  const groups = new Set(await store.listGroups());
  for (const [field, list] of [['allow', allow], ['deny', deny]] as const) {
    for (const group of list) if (!groups.has(group)) throw new UserError(`group ${group} does not exist`, 'invalid_request', field);
  }
  const acl = { resource: input.resource, allow, deny };
  await store.setAcl(acl);
  await auditChange(store, clock, { type: 'acl.set', detail: { resource: acl.resource, allow: allow.join(' '), deny: deny.join(' ') } });
  return acl;
}

/** Every ACL (the CLI's `acl list` and the admin API). */
export async function listAcls(store: Store): Promise<Acl[]> {
  return store.listAcls();
}

export async function deleteAcl(store: Store, resource: string, clock: Clock = systemClock): Promise<void> {
  if (!(await store.deleteAcl(resource))) throw new UserError(`no ACL on ${resource}`, 'not_found');
  await auditChange(store, clock, { type: 'acl.deleted', detail: { resource } });
}
