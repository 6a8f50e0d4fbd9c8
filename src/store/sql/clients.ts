import type { Client } from '../../core/model.ts';
import { type ClientPatch, type ClientStore, ConflictError } from '../store.ts';
import { toClient, toScope } from '../rows.ts';
import type { Driver } from './driver.ts';
import { one, refusing, relink, run } from './operation.ts';
import { sql, type Statement } from './statement.ts';

const CLIENT_SELECT = `
  SELECT c.*, (SELECT string_agg(scope_name, ' ') FROM client_scopes WHERE client_id = c.id) AS scopes
  FROM clients c`;

const SAVE_SCOPE = sql(
  `INSERT INTO scopes (name, description, resources, is_public) VALUES (:name, :description, :resources, :isPublic::boolean)
   ON CONFLICT (name) DO UPDATE SET description = excluded.description, resources = excluded.resources, is_public = excluded.is_public`,
);
const SCOPE_BY_NAME = sql('SELECT * FROM scopes WHERE name = :name');
const ALL_SCOPES = sql('SELECT * FROM scopes ORDER BY name');
const DELETE_SCOPE = sql('DELETE FROM scopes WHERE name = :name');

/** Read on every client authentication (the SQLite store serves it from its cache). */
export const CLIENT_BY_ID = sql(`${CLIENT_SELECT} WHERE c.id = :id`);
const CLIENT_BY_NAME = sql(`${CLIENT_SELECT} WHERE c.name = :name AND c.version = :version`);
const ALL_CLIENTS = sql(`${CLIENT_SELECT} ORDER BY c.name, c.version`);
const INSERT_CLIENT = sql(
  `INSERT INTO clients (id, name, version, description, type, secret_hash, grants, access_ttl, refresh_limit,
                        refresh_ttl, enabled, introspect, service_user, redirect_uris, consent, token_format, created_at,
                        trusted_for_end_user_address)
   VALUES (:id, :name, :version, :description, :type, :secret_hash, :grants, :access_ttl, :refresh_limit,
           :refresh_ttl, :enabled::boolean, :introspect::boolean, :service_user, :redirect_uris, :consent, :token_format, :created_at,
           :trusted_for_end_user_address::boolean)`,
);
const DELETE_CLIENT = sql('DELETE FROM clients WHERE id = :id');
// Lone tokens (client credentials, docs/tokens.md) belong to no family, so no cascade reaches them.
const DELETE_LONE_TOKENS = sql('DELETE FROM tokens WHERE client_id = :id AND family_id IS NULL');
const CLEAR_SCOPES = sql('DELETE FROM client_scopes WHERE client_id = :owner');
const ADD_SCOPE = sql('INSERT INTO client_scopes (client_id, scope_name) VALUES (:owner, :name)');

/** The columns of the fields given (a patch, or a whole client), as stored. */
function clientColumns(patch: ClientPatch): Record<string, unknown> {
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
  if (patch.trustedForEndUserAddress !== undefined) columns.trusted_for_end_user_address = patch.trustedForEndUserAddress;
  if (patch.serviceUser !== undefined) columns.service_user = patch.serviceUser;
  if (patch.redirectUris !== undefined) columns.redirect_uris = JSON.stringify(patch.redirectUris);
  if (patch.consent !== undefined) columns.consent = patch.consent;
  if (patch.tokenFormat !== undefined) columns.token_format = patch.tokenFormat;
  return columns;
}

const BOOLEAN_COLUMNS = new Set(['enabled', 'introspect', 'trusted_for_end_user_address']);
const updates = new Map<string, Statement>();

/**
 * The UPDATE of one set of columns, made once per set. It is also the existence check (and, on
 * PostgreSQL, the row lock) of the update: a patch of scopes alone sets `name = name`.
 */
function updateStatement(columns: string[]): Statement {
  const key = columns.join(',');
  let statement = updates.get(key);
  if (!statement) {
    const sets = columns.map((column) => `${column} = :${column}${BOOLEAN_COLUMNS.has(column) ? '::boolean' : ''}`);
    statement = sql(`UPDATE clients SET ${sets.join(', ') || 'name = name'} WHERE id = :id RETURNING id`);
    updates.set(key, statement);
  }
  return statement;
}

function clientRow(client: Client): Record<string, unknown> {
  return { ...clientColumns(client), token_format: client.tokenFormat ?? 'opaque', id: client.id, type: client.type, created_at: client.createdAt };
}

export function clientStore(db: Driver): ClientStore {
  return {
    saveScope: async (scope) => {
      await db.run(SAVE_SCOPE, { name: scope.name, description: scope.description, resources: JSON.stringify(scope.resources), isPublic: scope.public ?? false });
    },
    findScope: (name) => db.one(SCOPE_BY_NAME, { name }, toScope),
    listScopes: () => db.all(ALL_SCOPES, {}, toScope),
    deleteScope: async (name) => (await db.run(DELETE_SCOPE, { name })) > 0,

    createClient: (client) =>
      db.atomic(function* () {
        yield* refusing(run(INSERT_CLIENT, clientRow(client)), {
          unique: () =>
            new ConflictError(
              client.version === '' ? `a client named ${client.name} already exists` : `a client named ${client.name}, version ${client.version}, already exists`,
            ),
          primary_key: () => new ConflictError(`client ${client.id} already exists`),
        });
        yield* relink(CLEAR_SCOPES, ADD_SCOPE, client.id, client.scopes, 'scope');
      }),
    findClient: (id) => db.one(CLIENT_BY_ID, { id }, toClient),
    findClientByName: (name, version) => db.one(CLIENT_BY_NAME, { name, version }, toClient),
    listClients: () => db.all(ALL_CLIENTS, {}, toClient),
    updateClient: (id, patch) => {
      const columns = clientColumns(patch);
      return db.atomic(function* () {
        const found = yield* refusing(one(updateStatement(Object.keys(columns)), { ...columns, id }), {
          unique: () => new ConflictError('a client with that name and version already exists'),
        });
        if (found && patch.scopes !== undefined) yield* relink(CLEAR_SCOPES, ADD_SCOPE, id, patch.scopes, 'scope');
        return found !== undefined;
      });
    },
    // Families and their tokens go with the client through ON DELETE CASCADE.
    deleteClient: (id) =>
      db.atomic(function* () {
        yield* run(DELETE_LONE_TOKENS, { id });
        return (yield* run(DELETE_CLIENT, { id })) > 0;
      }),
  };
}
