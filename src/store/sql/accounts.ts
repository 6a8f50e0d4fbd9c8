import { canonicalUsername } from '../../core/username.ts';
import { type AccountStore, ConflictError } from '../store.ts';
import { toUser } from '../rows.ts';
import type { Driver } from './driver.ts';
import { one, refuse, refusing, relink, Rollback, run } from './operation.ts';
import { sql } from './statement.ts';

const USER_SELECT = `
  SELECT u.*, (SELECT string_agg(group_name, ' ') FROM user_groups WHERE username = u.username) AS groups
  FROM users u`;

const INSERT_GROUP = sql('INSERT INTO groups (name) VALUES (:name)');
const ALL_GROUPS = sql('SELECT name FROM groups ORDER BY name');
const DELETE_GROUP = sql('DELETE FROM groups WHERE name = :name');
// A name that equals an existing one in canonical form (`Alice` beside `alice`) is refused like a
// duplicate: here, and by the unique index of migration 0021 when another instance inserts it at the same moment.
const INSERT_USER = sql(
  `INSERT INTO users (username, password_hash, enabled, created_at, username_key, name, email)
   SELECT :username, :passwordHash, :enabled::boolean, :createdAt, :key, :name, :email WHERE NOT EXISTS (SELECT 1 FROM users WHERE username_key = :key)`,
);
// Canonical match; of names that collide from before canonical matching, the exact spelling wins.
const USER_BY_NAME = sql(`${USER_SELECT} WHERE u.username_key = :key ORDER BY CASE WHEN u.username = :username THEN 0 ELSE 1 END, u.username LIMIT 1`);
const WITHOUT_KEY = sql('SELECT username FROM users WHERE username_key IS NULL');
// A name that is one with a name already keyed stays out of the unique index (migration 0021).
const SET_KEY = sql(
  `UPDATE users SET username_key = :key, username_key_duplicate = EXISTS (SELECT 1 FROM users WHERE username_key = :key)
   WHERE username = :username`,
);
const DUPLICATES = sql(
  `SELECT username, username_key FROM users WHERE username_key IN (SELECT username_key FROM users GROUP BY username_key HAVING count(*) > 1)
   ORDER BY username_key, username`,
);
const ALL_USERS = sql(`${USER_SELECT} ORDER BY u.username`);
// Also the existence check of an update, and its row lock on PostgreSQL.
const UPDATE_USER = sql(
  `UPDATE users SET password_hash = coalesce(:passwordHash, password_hash), enabled = coalesce(:enabled::boolean, enabled),
     name = CASE WHEN :setName::boolean THEN :name ELSE name END, email = CASE WHEN :setEmail::boolean THEN :email ELSE email END
   WHERE username = :username RETURNING username`,
);
const DELETE_USER = sql('DELETE FROM users WHERE username = :username');
const CLEAR_GROUPS = sql('DELETE FROM user_groups WHERE username = :owner');
const ADD_TO_GROUP = sql('INSERT INTO user_groups (username, group_name) VALUES (:owner, :name)');
const COUNT_MEMBERS = sql('SELECT count(*) AS n FROM user_groups WHERE group_name = :group');
// A directory user is written only where no local user has the name (the WHERE of the upsert), and
// only into groups that exist: a group deleted here is not an error at someone's login.
const SAVE_DIRECTORY_USER = sql(
  `INSERT INTO users (username, password_hash, enabled, created_at, source, directory_dn, synced_at, username_key)
   SELECT :username, '', :enabled::boolean, :syncedAt, 'directory', :dn, :syncedAt, :key
   WHERE NOT EXISTS (SELECT 1 FROM users WHERE username_key = :key AND username <> :username)
   ON CONFLICT (username) DO UPDATE SET enabled = excluded.enabled, directory_dn = excluded.directory_dn, synced_at = excluded.synced_at
   WHERE users.source = 'directory'
   RETURNING username`,
);
const ADD_TO_EXISTING_GROUP = sql('INSERT INTO user_groups (username, group_name) SELECT :owner, name FROM groups WHERE name = :name');
const REPLACE_HASH = sql('UPDATE users SET password_hash = :next WHERE username = :username AND password_hash = :expected');

/**
 * Gives rows written before migration 0011 their canonical username key (SQL cannot compute it).
 * Runs after the migrations, every time; a no-op once every row has one.
 */
export async function fillUsernameKeys(db: Driver): Promise<void> {
  const missing = await db.all(WITHOUT_KEY, {}, (row) => row.username as string);
  if (missing.length === 0) return;
  await db.atomic(function* () {
    for (const username of missing) yield* run(SET_KEY, { username, key: canonicalUsername(username) });
  });
}

export function accountStore(db: Driver): AccountStore {
  return {
    createGroup: async (name) => {
      await db.run(INSERT_GROUP, { name }).catch(refuse({ primary_key: () => new ConflictError(`group ${name} already exists`) }));
    },
    listGroups: () => db.all(ALL_GROUPS, {}, (row) => row.name as string),
    deleteGroup: async (name) => (await db.run(DELETE_GROUP, { name })) > 0,

    createUser: (user) =>
      db.atomic(function* () {
        const exists = () => new ConflictError(`user ${user.username} already exists`);
        const inserted = yield* refusing(
          run(INSERT_USER, { ...user, key: canonicalUsername(user.username), name: user.name ?? null, email: user.email ?? null }),
          { primary_key: exists, unique: exists },
        );
        if (inserted === 0) throw exists();
        yield* relink(CLEAR_GROUPS, ADD_TO_GROUP, user.username, user.groups, 'group');
      }),
    findUser: (username) => db.one(USER_BY_NAME, { username, key: canonicalUsername(username) }, toUser),
    listUsers: () => db.all(ALL_USERS, {}, toUser),
    updateUser: (username, patch) =>
      db.atomic(function* () {
        const found = yield* one(UPDATE_USER, {
          username,
          passwordHash: patch.passwordHash ?? null,
          enabled: patch.enabled ?? null,
          setName: patch.name !== undefined,
          name: patch.name ?? null,
          setEmail: patch.email !== undefined,
          email: patch.email ?? null,
        });
        if (found && patch.groups !== undefined) yield* relink(CLEAR_GROUPS, ADD_TO_GROUP, username, patch.groups, 'group');
        return found !== undefined;
      }),
    deleteUser: async (username) => (await db.run(DELETE_USER, { username })) > 0,
    countGroupMembers: async (group) => (await db.one(COUNT_MEMBERS, { group }, (row) => row.n as number)) ?? 0,
    saveDirectoryUser: (user) =>
      db.atomic(function* () {
        // A local user of another spelling created at the same moment breaks the unique key: as if it had been there first.
        const saved = yield* refusing(one(SAVE_DIRECTORY_USER, { ...user, key: canonicalUsername(user.username) }), { unique: () => new Rollback(false) });
        if (!saved) return false;
        yield* run(CLEAR_GROUPS, { owner: user.username });
        for (const name of new Set(user.groups)) yield* run(ADD_TO_EXISTING_GROUP, { owner: user.username, name });
        return true;
      }),
    usernameCollisions: async () => {
      const groups = new Map<string, string[]>();
      for (const row of await db.all(DUPLICATES, {}, (r) => r)) {
        const key = row.username_key as string;
        groups.set(key, [...(groups.get(key) ?? []), row.username as string]);
      }
      return [...groups.values()];
    },
    replacePasswordHash: async (username, expected, next) => (await db.run(REPLACE_HASH, { username, expected, next })) > 0,
  };
}
