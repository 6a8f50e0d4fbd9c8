import { UserError } from '../core/errors.ts';
import type { Acl } from '../core/model.ts';
import { isValidFolderName, isValidServiceName } from '../core/resource-name.ts';
import type { Store } from '../store/store.ts';

/**
 * Sets the ACL of a folder or a service, replacing the one it had. Every group must exist, so that
 * a typo cannot silently lock everyone out (or, in a deny list, let everyone in).
 */
export async function setAcl(store: Store, input: Acl): Promise<Acl> {
  if (!isValidFolderName(input.resource) && !isValidServiceName(input.resource)) {
    throw new UserError('an ACL belongs to a folder (orders.v1) or a service (orders.v1:getOrder)');
  }
  const allow = [...new Set(input.allow)];
  const deny = [...new Set(input.deny)];
  const groups = new Set(await store.listGroups());
  for (const group of [...allow, ...deny]) {
    if (!groups.has(group)) throw new UserError(`group ${group} does not exist`);
  }
  const acl = { resource: input.resource, allow, deny };
  await store.setAcl(acl);
  return acl;
}

export async function deleteAcl(store: Store, resource: string): Promise<void> {
  if (!(await store.deleteAcl(resource))) throw new UserError(`no ACL on ${resource}`, 404);
}
