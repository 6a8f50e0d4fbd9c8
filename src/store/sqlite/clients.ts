import type { Client, Scope } from '../../core/model.ts';
import { type ClientPatch, ConflictError, MissingReferenceError } from '../store.ts';
import { type Row, toClient, toScope } from '../rows.ts';
import { isConstraint, type SqliteContext } from './context.ts';

const CLIENT_SELECT = `
  SELECT c.*, (SELECT group_concat(scope_name, ' ') FROM client_scopes WHERE client_id = c.id) AS scopes
  FROM clients c`;

export function saveScope(ctx: SqliteContext, scope: Scope): void {
  ctx.sql(
    `INSERT INTO scopes (name, description, resources) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET description = excluded.description, resources = excluded.resources`,
  ).run(scope.name, scope.description, JSON.stringify(scope.resources));
}

export function findScope(ctx: SqliteContext, name: string): Scope | undefined {
  const row = ctx.sql('SELECT * FROM scopes WHERE name = ?').get(name) as Row | undefined;
  return row && toScope(row);
}

export function listScopes(ctx: SqliteContext): Scope[] {
  return (ctx.sql('SELECT * FROM scopes ORDER BY name').all() as Row[]).map(toScope);
}

export function deleteScope(ctx: SqliteContext, name: string): boolean {
  return ctx.sql('DELETE FROM scopes WHERE name = ?').run(name).changes > 0;
}

function setClientScopes(ctx: SqliteContext, clientId: string, scopes: string[]): void {
  ctx.sql('DELETE FROM client_scopes WHERE client_id = ?').run(clientId);
  const insert = ctx.sql('INSERT INTO client_scopes (client_id, scope_name) VALUES (?, ?)');
  for (const scope of scopes) {
    try {
      insert.run(clientId, scope);
    } catch (error) {
      if (isConstraint(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new MissingReferenceError(`scope ${scope} does not exist`);
      throw error;
    }
  }
}

export function createClient(ctx: SqliteContext, client: Client): void {
  ctx.db.transaction(() => {
    try {
      ctx.sql(
        `INSERT INTO clients (id, name, version, description, type, secret_hash, grants, access_ttl, refresh_limit,
                              refresh_ttl, enabled, introspect, service_user, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
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
        client.enabled ? 1 : 0,
        client.introspect ? 1 : 0,
        client.serviceUser,
        client.createdAt,
      );
    } catch (error) {
      if (isConstraint(error, 'SQLITE_CONSTRAINT_UNIQUE')) {
        throw new ConflictError(`a client named ${client.name} version ${client.version} already exists`);
      }
      if (isConstraint(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw new ConflictError(`client ${client.id} already exists`);
      throw error;
    }
    setClientScopes(ctx, client.id, client.scopes);
  })();
}

export function findClient(ctx: SqliteContext, id: string): Client | undefined {
  const row = ctx.sql(`${CLIENT_SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
  return row && toClient(row);
}

export function findClientByName(ctx: SqliteContext, name: string, version: string): Client | undefined {
  const row = ctx.sql(`${CLIENT_SELECT} WHERE c.name = ? AND c.version = ?`).get(name, version) as Row | undefined;
  return row && toClient(row);
}

export function listClients(ctx: SqliteContext): Client[] {
  return (ctx.sql(`${CLIENT_SELECT} ORDER BY c.name, c.version`).all() as Row[]).map(toClient);
}

export function updateClient(ctx: SqliteContext, id: string, patch: ClientPatch): boolean {
  const columns: Record<string, unknown> = {};
  if (patch.name !== undefined) columns.name = patch.name;
  if (patch.version !== undefined) columns.version = patch.version;
  if (patch.description !== undefined) columns.description = patch.description;
  if (patch.secretHash !== undefined) columns.secret_hash = patch.secretHash;
  if (patch.grants !== undefined) columns.grants = patch.grants.join(' ');
  if (patch.accessTokenTtl !== undefined) columns.access_ttl = String(patch.accessTokenTtl);
  if (patch.refreshLimit !== undefined) columns.refresh_limit = patch.refreshLimit;
  if (patch.refreshTokenTtl !== undefined) columns.refresh_ttl = patch.refreshTokenTtl;
  if (patch.enabled !== undefined) columns.enabled = patch.enabled ? 1 : 0;
  if (patch.introspect !== undefined) columns.introspect = patch.introspect ? 1 : 0;
  if (patch.serviceUser !== undefined) columns.service_user = patch.serviceUser;
  return ctx.db.transaction(() => {
    if (!ctx.sql('SELECT 1 FROM clients WHERE id = ?').get(id)) return false;
    const names = Object.keys(columns);
    if (names.length > 0) {
      try {
        ctx.db
          .prepare(`UPDATE clients SET ${names.map((name) => `${name} = @${name}`).join(', ')} WHERE id = @id`)
          .run({ ...columns, id });
      } catch (error) {
        if (isConstraint(error, 'SQLITE_CONSTRAINT_UNIQUE')) throw new ConflictError('a client with that name and version already exists');
        throw error;
      }
    }
    if (patch.scopes !== undefined) setClientScopes(ctx, id, patch.scopes);
    return true;
  })();
}

export function deleteClient(ctx: SqliteContext, id: string): boolean {
  // Families and tokens go with the client through ON DELETE CASCADE.
  return ctx.sql('DELETE FROM clients WHERE id = ?').run(id).changes > 0;
}
