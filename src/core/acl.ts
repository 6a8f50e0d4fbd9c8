import type { Acl } from './model.ts';

/**
 * Access control lists (docs/resource-server.md): allowed and denied groups on a folder or a service. A service
 * uses the nearest ACL up its folder chain (the service itself, then its folder, then each parent
 * folder); the nearest one decides alone, it is not merged with those above it.
 */

/** The resources whose ACL may apply to a service, nearest first: `a.b:svc`, `a.b`, `a`. */
export function aclChain(service: string): string[] {
  const colon = service.indexOf(':');
  const chain = colon < 0 ? [] : [service];
  let folder = colon < 0 ? service : service.slice(0, colon);
  while (folder !== '') {
    chain.push(folder);
    const dot = folder.lastIndexOf('.');
    folder = dot < 0 ? '' : folder.slice(0, dot);
  }
  return chain;
}

/** The ACL that applies to a service, or `undefined` when none is set anywhere up its chain. */
export function nearestAcl(service: string, acls: ReadonlyMap<string, Acl>): Acl | undefined {
  for (const resource of aclChain(service)) {
    const acl = acls.get(resource);
    if (acl) return acl;
  }
  return undefined;
}

/**
 * Whether a caller in `groups` passes `acl`:
 * - no ACL: any authenticated caller passes;
 * - a denied group wins over any allowed group;
 * - otherwise the caller needs at least one allowed group (an ACL that allows no group denies all).
 *
 * `groups` is `undefined` for a token without a resource owner (a `client_credentials` token of a
 * client that has no service-account user): it passes only where no ACL applies.
 * Does NOT check that the groups exist: a deleted group simply matches nobody.
 */
export function aclAllows(acl: Acl | undefined, groups: readonly string[] | undefined): boolean {
  if (!acl) return true;
  if (!groups) return false;
  if (groups.some((group) => acl.deny.includes(group))) return false;
  return groups.some((group) => acl.allow.includes(group));
}
