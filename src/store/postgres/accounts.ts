import type pg from 'pg';
import type { User } from '../../core/model.ts';
import { ConflictError, MissingReferenceError, type UserPatch } from '../store.ts';
import { toUser } from '../rows.ts';
import type { PostgresContext } from './context.ts';
import { FOREIGN_KEY_VIOLATION, isViolation, UNIQUE_VIOLATION } from './pg-errors.ts';

const USER_SELECT = `
  SELECT u.*, (SELECT string_agg(group_name, ' ') FROM user_groups WHERE username = u.username) AS groups
  FROM users u`;

export async function createGroup(ctx: PostgresContext, name: string): Promise<void> {
  try {
    await ctx.query('INSERT INTO groups (name) VALUES ($1)', [name]);
  } catch (error) {
    if (isViolation(error, UNIQUE_VIOLATION)) throw new ConflictError(`group ${name} already exists`);
    throw error;
  }
}

export async function listGroups(ctx: PostgresContext): Promise<string[]> {
  return (await ctx.query('SELECT name FROM groups ORDER BY name')).rows.map((row) => row.name as string);
}

export async function deleteGroup(ctx: PostgresContext, name: string): Promise<boolean> {
  return ((await ctx.query('DELETE FROM groups WHERE name = $1', [name])).rowCount ?? 0) > 0;
}

async function setGroups(client: pg.PoolClient, username: string, groups: string[]): Promise<void> {
  await client.query('DELETE FROM user_groups WHERE username = $1', [username]);
  for (const group of groups) {
    try {
      await client.query('INSERT INTO user_groups (username, group_name) VALUES ($1, $2)', [username, group]);
    } catch (error) {
      if (isViolation(error, FOREIGN_KEY_VIOLATION)) throw new MissingReferenceError(`group ${group} does not exist`);
      throw error;
    }
  }
}

export async function createUser(ctx: PostgresContext, user: User): Promise<void> {
  await ctx.transaction(async (client) => {
    try {
      await client.query('INSERT INTO users (username, password_hash, enabled, created_at) VALUES ($1, $2, $3, $4)', [
        user.username,
        user.passwordHash,
        user.enabled,
        user.createdAt,
      ]);
    } catch (error) {
      if (isViolation(error, UNIQUE_VIOLATION)) throw new ConflictError(`user ${user.username} already exists`);
      throw error;
    }
    await setGroups(client, user.username, user.groups);
  });
}

export async function findUser(ctx: PostgresContext, username: string): Promise<User | undefined> {
  const row = (await ctx.query(`${USER_SELECT} WHERE u.username = $1`, [username])).rows[0];
  return row && toUser(row);
}

export async function listUsers(ctx: PostgresContext): Promise<User[]> {
  return (await ctx.query(`${USER_SELECT} ORDER BY u.username`)).rows.map(toUser);
}

export async function updateUser(ctx: PostgresContext, username: string, patch: UserPatch): Promise<boolean> {
  return ctx.transaction(async (client) => {
    const found = await client.query('SELECT 1 FROM users WHERE username = $1 FOR UPDATE', [username]);
    if (found.rowCount === 0) return false;
    if (patch.passwordHash !== undefined) {
      await client.query('UPDATE users SET password_hash = $1 WHERE username = $2', [patch.passwordHash, username]);
    }
    if (patch.enabled !== undefined) await client.query('UPDATE users SET enabled = $1 WHERE username = $2', [patch.enabled, username]);
    if (patch.groups !== undefined) await setGroups(client, username, patch.groups);
    return true;
  });
}

export async function deleteUser(ctx: PostgresContext, username: string): Promise<boolean> {
  return ((await ctx.query('DELETE FROM users WHERE username = $1', [username])).rowCount ?? 0) > 0;
}

export async function countGroupMembers(ctx: PostgresContext, group: string): Promise<number> {
  return (await ctx.query('SELECT count(*)::int AS n FROM user_groups WHERE group_name = $1', [group])).rows[0]!.n as number;
}

export async function replacePasswordHash(ctx: PostgresContext, username: string, expected: string, next: string): Promise<boolean> {
  const result = await ctx.query('UPDATE users SET password_hash = $1 WHERE username = $2 AND password_hash = $3', [next, username, expected]);
  return (result.rowCount ?? 0) > 0;
}
