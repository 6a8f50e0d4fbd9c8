import type { User } from '../../core/model.ts';
import { ConflictError, MissingReferenceError, type UserPatch } from '../store.ts';
import { type Row, toUser } from '../rows.ts';
import { isConstraint, type SqliteContext } from './context.ts';

const USER_SELECT = `
  SELECT u.*, (SELECT group_concat(group_name, ' ') FROM user_groups WHERE username = u.username) AS groups
  FROM users u`;

export function createGroup(ctx: SqliteContext, name: string): void {
  try {
    ctx.sql('INSERT INTO groups (name) VALUES (?)').run(name);
  } catch (error) {
    if (isConstraint(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw new ConflictError(`group ${name} already exists`);
    throw error;
  }
}

export function listGroups(ctx: SqliteContext): string[] {
  return (ctx.sql('SELECT name FROM groups ORDER BY name').all() as Row[]).map((row) => row.name as string);
}

export function deleteGroup(ctx: SqliteContext, name: string): boolean {
  return ctx.sql('DELETE FROM groups WHERE name = ?').run(name).changes > 0;
}

function setGroups(ctx: SqliteContext, username: string, groups: string[]): void {
  ctx.sql('DELETE FROM user_groups WHERE username = ?').run(username);
  const insert = ctx.sql('INSERT INTO user_groups (username, group_name) VALUES (?, ?)');
  for (const group of groups) {
    try {
      insert.run(username, group);
    } catch (error) {
      if (isConstraint(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new MissingReferenceError(`group ${group} does not exist`);
      throw error;
    }
  }
}

export function createUser(ctx: SqliteContext, user: User): void {
  ctx.db.transaction(() => {
    try {
      ctx.sql('INSERT INTO users (username, password_hash, enabled, created_at) VALUES (?, ?, ?, ?)').run(
        user.username,
        user.passwordHash,
        user.enabled ? 1 : 0,
        user.createdAt,
      );
    } catch (error) {
      if (isConstraint(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw new ConflictError(`user ${user.username} already exists`);
      throw error;
    }
    setGroups(ctx, user.username, user.groups);
  })();
}

export function findUser(ctx: SqliteContext, username: string): User | undefined {
  const row = ctx.sql(`${USER_SELECT} WHERE u.username = ?`).get(username) as Row | undefined;
  return row && toUser(row);
}

export function listUsers(ctx: SqliteContext): User[] {
  return (ctx.sql(`${USER_SELECT} ORDER BY u.username`).all() as Row[]).map(toUser);
}

export function updateUser(ctx: SqliteContext, username: string, patch: UserPatch): boolean {
  return ctx.db.transaction(() => {
    if (!ctx.sql('SELECT 1 FROM users WHERE username = ?').get(username)) return false;
    if (patch.passwordHash !== undefined) {
      ctx.sql('UPDATE users SET password_hash = ? WHERE username = ?').run(patch.passwordHash, username);
    }
    if (patch.enabled !== undefined) {
      ctx.sql('UPDATE users SET enabled = ? WHERE username = ?').run(patch.enabled ? 1 : 0, username);
    }
    if (patch.groups !== undefined) setGroups(ctx, username, patch.groups);
    return true;
  })();
}

export function deleteUser(ctx: SqliteContext, username: string): boolean {
  return ctx.sql('DELETE FROM users WHERE username = ?').run(username).changes > 0;
}

export function countGroupMembers(ctx: SqliteContext, group: string): number {
  return (ctx.sql('SELECT count(*) AS n FROM user_groups WHERE group_name = ?').get(group) as Row).n as number;
}

export function replacePasswordHash(ctx: SqliteContext, username: string, expected: string, next: string): boolean {
  return ctx.sql('UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?').run(next, username, expected).changes > 0;
}
