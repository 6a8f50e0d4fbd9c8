import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { ADMIN_GROUP } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';
import { translateStoreErrors } from './translate.ts';

const GROUP_NAME = /^[A-Za-z0-9_.@-][A-Za-z0-9_.@ -]{0,99}$/;

export async function createGroup(store: Store, name: string, clock: Clock = systemClock): Promise<void> {
  if (!GROUP_NAME.test(name)) throw new UserError('group names are 1 to 100 letters, digits, spaces and _ . @ -', 'invalid_request', 'name');
  await translateStoreErrors(store.createGroup(name));
  await auditChange(store, clock, { type: 'group.created', detail: { group: name } });
}

export async function deleteGroup(store: Store, name: string, clock: Clock = systemClock): Promise<void> {
  if (name === ADMIN_GROUP) throw new UserError(`${ADMIN_GROUP} is built in and cannot be deleted`);
  if (!(await store.deleteGroup(name))) throw new UserError(`no group ${name}`, 'not_found');
  await auditChange(store, clock, { type: 'group.deleted', detail: { group: name } });
}

/** Every group with its number of members, for the console and the API. */
export async function listGroupsWithMembers(store: Store): Promise<{ name: string; members: number; built_in: boolean }[]> {
  const names = await store.listGroups();
  return Promise.all(
    names.map(async (name) => ({ name, members: await store.countGroupMembers(name), built_in: name === ADMIN_GROUP })),
  );
}
