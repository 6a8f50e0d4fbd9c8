import type pg from 'pg';
import type { Client, Scope } from '../../core/model.ts';
import { type ClientPatch, ConflictError, MissingReferenceError } from '../store.ts';
import { toClient, toScope } from '../rows.ts';
import type { PostgresContext } from './context.ts';
import { FOREIGN_KEY_VIOLATION, isViolation, UNIQUE_VIOLATION } from './pg-errors.ts';

const CLIENT_SELECT = `
  SELECT c.*, (SELECT string_agg(scope_name, ' ') FROM client_scopes WHERE client_id = c.id) AS scopes
  FROM clients c`;

export async function saveScope(ctx: PostgresContext, scope: Scope): Promise<void> {
  await ctx.query(
    `INSERT INTO scopes (name, description, resources) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET description = excluded.description, resources = excluded.resources`,
    [scope.name, scope.description, JSON.stringify(scope.resources)],
  );
}

export async function findScope(ctx: PostgresContext, name: string): Promise<Scope | undefined> {
  const row = (await ctx.query('SELECT * FROM scopes WHERE name = $1', [name])).rows[0];
  return row && toScope(row);
}

export async function listScopes(ctx: PostgresContext): Promise<Scope[]> {
  return (await ctx.query('SELECT * FROM scopes ORDER BY name')).rows.map(toScope);
}

export async function deleteScope(ctx: PostgresContext, name: string): Promise<boolean> {
  return ((await ctx.query('DELETE FROM scopes WHERE name = $1', [name])).rowCount ?? 0) > 0;
}

async function setClientScopes(client: pg.PoolClient, clientId: string, scopes: string[]): Promise<void> {
  await client.query('DELETE FROM client_scopes WHERE client_id = $1', [clientId]);
  for (const scope of scopes) {
    try {
      await client.query('INSERT INTO client_scopes (client_id, scope_name) VALUES ($1, $2)', [clientId, scope]);
    } catch (error) {
      if (isViolation(error, FOREIGN_KEY_VIOLATION)) throw new MissingReferenceError(`scope ${scope} does not exist`);
      throw error;
    }
  }
}

export async function createClient(ctx: PostgresContext, client: Client): Promise<void> {
  await ctx.transaction(async (connection) => {
    try {
      await connection.query(
        `INSERT INTO clients (id, name, version, description, type, secret_hash, grants, access_ttl, refresh_limit,
                              refresh_ttl, enabled, introspect, service_user, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          client.id,
          client.name,
          client.version,
          client.description,
          client.type,
          client.secretHash,
          client.grants.join(' '),
          String(client.accessTokenTtl),
          client.refreshLimit,
          client.refreshTokenTtl,
          client.enabled,
          client.introspect,
          client.serviceUser,
          client.createdAt,
        ],
      );
    } catch (error) {
      if (isViolation(error, UNIQUE_VIOLATION, 'clients_name_version')) {
        throw new ConflictError(`a client named ${client.name} version ${client.version} already exists`);
      }
      if (isViolation(error, UNIQUE_VIOLATION)) throw new ConflictError(`client ${client.id} already exists`);
      throw error;
    }
    await setClientScopes(connection, client.id, client.scopes);
  });
}

export async function findClient(ctx: PostgresContext, id: string): Promise<Client | undefined> {
  const row = (await ctx.query(`${CLIENT_SELECT} WHERE c.id = $1`, [id])).rows[0];
  return row && toClient(row);
}

export async function findClientByName(ctx: PostgresContext, name: string, version: string): Promise<Client | undefined> {
  const row = (await ctx.query(`${CLIENT_SELECT} WHERE c.name = $1 AND c.version = $2`, [name, version])).rows[0];
  return row && toClient(row);
}

export async function listClients(ctx: PostgresContext): Promise<Client[]> {
  return (await ctx.query(`${CLIENT_SELECT} ORDER BY c.name, c.version`)).rows.map(toClient);
}

export async function updateClient(ctx: PostgresContext, id: string, patch: ClientPatch): Promise<boolean> {
  const columns: Record<string, unknown> = {};
  if (patch.name !== undefined) columns.name = patch.name;
  if (patch.version !== undefined) columns.version = patch.version;
  if (patch.description !== undefined) columns.description = patch.description;
  if (patch.secretHash !== undefined) columns.secret_hash = patch.secretHash;
  if (patch.grants !== undefined) columns.grants = patch.grants.join(' ');
  if (patch.accessTokenTtl !== undefined) columns.access_ttl = String(patch.accessTokenTtl);
  if (patch.refreshLimit !== undefined) columns.refresh_limit = patch.refreshLimit;
  if (patch.refreshTokenTtl !== undefined) columns.refresh_ttl = patch.refreshTokenTtl;
  if (patch.enabled !== undefined) columns.enabled = patch.enabled;
  if (patch.introspect !== undefined) columns.introspect = patch.introspect;
  if (patch.serviceUser !== undefined) columns.service_user = patch.serviceUser;
  return ctx.transaction(async (client) => {
    const found = await client.query('SELECT 1 FROM clients WHERE id = $1 FOR UPDATE', [id]);
    if (found.rowCount === 0) return false;
    const names = Object.keys(columns);
    if (names.length > 0) {
      try {
        await client.query(`UPDATE clients SET ${names.map((name, i) => `${name} = $${i + 2}`).join(', ')} WHERE id = $1`, [
          id,
          ...names.map((name) => columns[name]),
        ]);
      } catch (error) {
        if (isViolation(error, UNIQUE_VIOLATION)) throw new ConflictError('a client with that name and version already exists');
        throw error;
      }
    }
    if (patch.scopes !== undefined) await setClientScopes(client, id, patch.scopes);
    return true;
  });
}

export async function deleteClient(ctx: PostgresContext, id: string): Promise<boolean> {
  // Families and tokens go with the client through ON DELETE CASCADE.
  return ((await ctx.query('DELETE FROM clients WHERE id = $1', [id])).rowCount ?? 0) > 0;
}
