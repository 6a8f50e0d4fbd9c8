import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { AuditEvent, AuditRecord } from '../../core/audit.ts';
import {
  type Acl,
  type AdminSession,
  type Client,
  DEFAULT_SETTINGS,
  type Scope,
  type Service,
  type Settings,
  type TokenFamily,
  type TokenRecord,
  type TokenView,
  type User,
} from '../../core/model.ts';
import {
  type AuditQuery,
  type ClientPatch,
  ConflictError,
  MissingReferenceError,
  type RotateOutcome,
  type RotateRequest,
  type Store,
  type TokenFilter,
  type UserPatch,
} from '../store.ts';
import type { ThrottleBlock } from '../../core/model.ts';
import { FOREIGN_KEY_VIOLATION, isViolation, UNIQUE_VIOLATION } from './pg-errors.ts';
import {
  type Row,
  toAcl,
  toAdminSession,
  toAuditRecord,
  toClient,
  toFamily,
  toScope,
  toService,
  toThrottleBlock,
  toTokenView,
  toUser,
} from '../rows.ts';
import { packageFile } from '../../package-files.ts';

type Queryable = pg.Pool | pg.PoolClient;

const MIGRATIONS_DIR = packageFile('src', 'store', 'postgres', 'migrations');

/** Key of the advisory lock that serialises migrations across instances ("portcu" in ASCII; exact as a double). */
const MIGRATION_LOCK = 0x706f72746375;

/** Pool limits and timeouts; every one has a default fit for a small instance. */
export interface PostgresOptions {
  /** Connections this instance may hold open. */
  maxConnections?: number;
  /** Milliseconds to wait for a free connection (or a new one) before failing the request. */
  connectionTimeoutMillis?: number;
  /** Milliseconds an unused connection stays open. */
  idleTimeoutMillis?: number;
  /** Milliseconds any one statement may run before the server cancels it. */
  statementTimeoutMillis?: number;
}

export const DEFAULT_POSTGRES_OPTIONS: Required<PostgresOptions> = {
  maxConnections: 10,
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
  statementTimeoutMillis: 10_000,
};

// BIGINT columns hold seconds since the epoch and counts: well inside a double's exact range.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

const CLIENT_SELECT = `
  SELECT c.*, (SELECT string_agg(scope_name, ' ') FROM client_scopes WHERE client_id = c.id) AS scopes
  FROM clients c`;

const USER_SELECT = `
  SELECT u.*, (SELECT string_agg(group_name, ' ') FROM user_groups WHERE username = u.username) AS groups
  FROM users u`;

const TOKEN_SELECT = `
  SELECT t.*, f.revoked_at AS family_revoked_at, c.enabled AS client_enabled,
         CASE WHEN t.username IS NULL THEN NULL ELSE coalesce(u.enabled, FALSE) END AS user_enabled
  FROM tokens t
  JOIN token_families f ON f.id = t.family_id
  JOIN clients c ON c.id = t.client_id
  LEFT JOIN users u ON u.username = t.username`;

/** The SQL twin of `tokenState()` in core/token-state.ts, with `now` as the given parameter. */
function tokenStateSql(now: string): string {
  return `(CASE
    WHEN t.revoked_at IS NOT NULL OR f.revoked_at IS NOT NULL THEN 'revoked'
    WHEN t.rotated_at IS NOT NULL THEN 'rotated'
    WHEN t.expires_at IS NOT NULL AND t.expires_at <= ${now}::bigint THEN 'expired'
    ELSE 'active' END)`;
}

const INSERT_TOKENS = `
  INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])`;

/** The new tokens as column arrays, stored with one statement whatever their number. */
function tokenColumns(tokens: TokenRecord[], familyId?: string): unknown[] {
  return [
    tokens.map((token) => token.hash),
    tokens.map((token) => token.kind),
    tokens.map((token) => familyId ?? token.familyId),
    tokens.map((token) => token.clientId),
    tokens.map((token) => token.username),
    tokens.map((token) => token.scope.join(' ')),
    tokens.map((token) => token.issuedAt),
    tokens.map((token) => token.expiresAt),
  ];
}

class Rollback extends Error {
  constructor(readonly outcome: RotateOutcome) {
    super(outcome);
  }
}

/**
 * The cluster store: any number of instances share one PostgreSQL database through `pg`'s pool.
 * Single-use operations are single statements that lock the row they change, so two instances
 * racing on one refresh token produce exactly one winner.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;

  constructor(connectionString: string, options: PostgresOptions = {}) {
    const settings = { ...DEFAULT_POSTGRES_OPTIONS, ...options };
    this.pool = new pg.Pool({
      connectionString,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.connectionTimeoutMillis,
      idleTimeoutMillis: settings.idleTimeoutMillis,
      statement_timeout: settings.statementTimeoutMillis,
      application_name: 'portcullis',
      types,
    });
    // An idle connection that the server drops must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
  }

  private async query(text: string, values: unknown[] = [], on: Queryable = this.pool): Promise<pg.QueryResult<Row>> {
    return on.query<Row>(text, values);
  }

  /** Runs `work` in one transaction on one connection; any throw rolls it back. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async migrate(): Promise<number[]> {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((name) => /^\d{4}-.*\.sql$/.test(name))
      .sort();
    return this.transaction(async (client) => {
      // A migration on a large table (an index on every token) may run longer than the request
      // statement timeout, and so may the wait of the instances queued behind it.
      await client.query('SET LOCAL statement_timeout = 0');
      // Instances starting together queue here; each then sees what the one before applied.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const done = new Set((await client.query<Row>('SELECT version FROM schema_migrations')).rows.map((row) => row.version as number));
      const applied: number[] = [];
      for (const file of files) {
        const version = Number(file.slice(0, 4));
        if (done.has(version)) continue;
        await client.query(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, Math.floor(Date.now() / 1000)]);
        applied.push(version);
      }
      return applied;
    });
  }

  /** The pool's connections right now: open, idle, and requests waiting for one (for metrics). */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  async getSettings(): Promise<Settings> {
    const { rows } = await this.query('SELECT key, value FROM settings');
    const settings: Settings = { ...DEFAULT_SETTINGS };
    for (const row of rows) {
      const key = row.key as string;
      if (key in settings) (settings as unknown as Record<string, unknown>)[key] = JSON.parse(row.value as string);
    }
    return settings;
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    await this.transaction(async (client) => {
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        await client.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
          key,
          JSON.stringify(value),
        ]);
      }
    });
    return this.getSettings();
  }

  async createGroup(name: string): Promise<void> {
    try {
      await this.query('INSERT INTO groups (name) VALUES ($1)', [name]);
    } catch (error) {
      if (isViolation(error, UNIQUE_VIOLATION)) throw new ConflictError(`group ${name} already exists`);
      throw error;
    }
  }

  async listGroups(): Promise<string[]> {
    return (await this.query('SELECT name FROM groups ORDER BY name')).rows.map((row) => row.name as string);
  }

  async deleteGroup(name: string): Promise<boolean> {
    return ((await this.query('DELETE FROM groups WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  private async setGroups(client: pg.PoolClient, username: string, groups: string[]): Promise<void> {
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

  async createUser(user: User): Promise<void> {
    await this.transaction(async (client) => {
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
      await this.setGroups(client, user.username, user.groups);
    });
  }

  async findUser(username: string): Promise<User | undefined> {
    const row = (await this.query(`${USER_SELECT} WHERE u.username = $1`, [username])).rows[0];
    return row && toUser(row);
  }

  async listUsers(): Promise<User[]> {
    return (await this.query(`${USER_SELECT} ORDER BY u.username`)).rows.map(toUser);
  }

  async updateUser(username: string, patch: UserPatch): Promise<boolean> {
    return this.transaction(async (client) => {
      const found = await client.query('SELECT 1 FROM users WHERE username = $1 FOR UPDATE', [username]);
      if (found.rowCount === 0) return false;
      if (patch.passwordHash !== undefined) {
        await client.query('UPDATE users SET password_hash = $1 WHERE username = $2', [patch.passwordHash, username]);
      }
      if (patch.enabled !== undefined) await client.query('UPDATE users SET enabled = $1 WHERE username = $2', [patch.enabled, username]);
      if (patch.groups !== undefined) await this.setGroups(client, username, patch.groups);
      return true;
    });
  }

  async deleteUser(username: string): Promise<boolean> {
    return ((await this.query('DELETE FROM users WHERE username = $1', [username])).rowCount ?? 0) > 0;
  }

  async countGroupMembers(group: string): Promise<number> {
    return (await this.query('SELECT count(*)::int AS n FROM user_groups WHERE group_name = $1', [group])).rows[0]!.n as number;
  }

  async saveScope(scope: Scope): Promise<void> {
    await this.query(
      `INSERT INTO scopes (name, description, resources) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET description = excluded.description, resources = excluded.resources`,
      [scope.name, scope.description, JSON.stringify(scope.resources)],
    );
  }

  async findScope(name: string): Promise<Scope | undefined> {
    const row = (await this.query('SELECT * FROM scopes WHERE name = $1', [name])).rows[0];
    return row && toScope(row);
  }

  async listScopes(): Promise<Scope[]> {
    return (await this.query('SELECT * FROM scopes ORDER BY name')).rows.map(toScope);
  }

  async deleteScope(name: string): Promise<boolean> {
    return ((await this.query('DELETE FROM scopes WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  private async setClientScopes(client: pg.PoolClient, clientId: string, scopes: string[]): Promise<void> {
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

  async createClient(client: Client): Promise<void> {
    await this.transaction(async (connection) => {
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
      await this.setClientScopes(connection, client.id, client.scopes);
    });
  }

  async findClient(id: string): Promise<Client | undefined> {
    const row = (await this.query(`${CLIENT_SELECT} WHERE c.id = $1`, [id])).rows[0];
    return row && toClient(row);
  }

  async findClientByName(name: string, version: string): Promise<Client | undefined> {
    const row = (await this.query(`${CLIENT_SELECT} WHERE c.name = $1 AND c.version = $2`, [name, version])).rows[0];
    return row && toClient(row);
  }

  async listClients(): Promise<Client[]> {
    return (await this.query(`${CLIENT_SELECT} ORDER BY c.name, c.version`)).rows.map(toClient);
  }

  async updateClient(id: string, patch: ClientPatch): Promise<boolean> {
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
    return this.transaction(async (client) => {
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
      if (patch.scopes !== undefined) await this.setClientScopes(client, id, patch.scopes);
      return true;
    });
  }

  async deleteClient(id: string): Promise<boolean> {
    // Families and tokens go with the client through ON DELETE CASCADE.
    return ((await this.query('DELETE FROM clients WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async saveFamily(family: TokenFamily, tokens: TokenRecord[]): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        'INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES ($1, $2, $3, $4, 0, $5)',
        [family.id, family.clientId, family.username, family.scope.join(' '), family.createdAt],
      );
      if (tokens.length > 0) await client.query(INSERT_TOKENS, tokenColumns(tokens));
    });
  }

  async findToken(hash: string): Promise<TokenView | undefined> {
    const row = (await this.query(`${TOKEN_SELECT} WHERE t.hash = $1`, [hash])).rows[0];
    return row && toTokenView(row);
  }

  async findFamily(id: string): Promise<TokenFamily | undefined> {
    const row = (await this.query('SELECT * FROM token_families WHERE id = $1', [id])).rows[0];
    return row && toFamily(row);
  }

  async rotateRefreshToken(request: RotateRequest): Promise<RotateOutcome> {
    const replacement = request.newTokens.find((token) => token.kind === 'refresh')?.hash ?? null;
    try {
      return await this.transaction(async (client): Promise<RotateOutcome> => {
        // The claim locks the row: a racing rotation waits here, then finds rotated_at set and
        // claims nothing. If this transaction rolls back, the waiter claims the token instead.
        let claimed = await client.query<Row>(
          `UPDATE tokens SET rotated_at = $1, replaced_by = $3
           WHERE hash = $2 AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > $1)
           RETURNING family_id`,
          [request.now, request.presentedHash, replacement],
        );
        if (claimed.rowCount === 0 && request.reuseLeewaySeconds) {
          // Within the leeway, the presented token may stand in for its direct replacement, and
          // only while that replacement is itself unused: one step back, never more. The claim
          // on the replacement locks its row just as above, so racers still have one winner.
          claimed = await client.query<Row>(
            `UPDATE tokens SET rotated_at = $1, replaced_by = $3
             WHERE hash = (SELECT replaced_by FROM tokens
                           WHERE hash = $2 AND kind = 'refresh' AND revoked_at IS NULL
                             AND rotated_at IS NOT NULL AND rotated_at >= $1::bigint - $4::bigint)
               AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > $1)
             RETURNING family_id`,
            [request.now, request.presentedHash, replacement, request.reuseLeewaySeconds],
          );
        }
        const familyId = claimed.rows[0]?.family_id as string | undefined;
        if (familyId === undefined) {
          const row = (await client.query<Row>('SELECT rotated_at FROM tokens WHERE hash = $1', [request.presentedHash])).rows[0];
          return row && row.rotated_at !== null ? 'already_rotated' : 'not_live';
        }
        const counted = await client.query(
          `UPDATE token_families SET refresh_count = refresh_count + 1
           WHERE id = $1 AND revoked_at IS NULL AND ($2::int IS NULL OR refresh_count < $2::int)
           RETURNING id`,
          [familyId, request.refreshLimit],
        );
        // Undo the claim: the token stays as it was, and no refresh is counted.
        if (counted.rowCount === 0) throw new Rollback('limit_reached');
        if (request.newTokens.length > 0) await client.query(INSERT_TOKENS, tokenColumns(request.newTokens, familyId));
        return 'rotated';
      });
    } catch (error) {
      if (error instanceof Rollback) return error.outcome;
      throw error;
    }
  }

  async revokeFamily(familyId: string, now: number): Promise<boolean> {
    const result = await this.query('UPDATE token_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, familyId]);
    return (result.rowCount ?? 0) > 0;
  }

  async revokeFamiliesOf(owner: { username: string } | { clientId: string }, now: number): Promise<number> {
    const [column, value] = 'username' in owner ? ['username', owner.username] : ['client_id', owner.clientId];
    const result = await this.query(`UPDATE token_families SET revoked_at = $1 WHERE ${column} = $2 AND revoked_at IS NULL`, [now, value]);
    return result.rowCount ?? 0;
  }

  async listTokens(filter: TokenFilter, now: number): Promise<TokenView[]> {
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const where: string[] = [];
    if (filter.clientId !== undefined) where.push(`t.client_id = ${param(filter.clientId)}`);
    if (filter.username !== undefined) where.push(`t.username = ${param(filter.username)}`);
    if (filter.state !== undefined) where.push(`${tokenStateSql(param(now))} = ${param(filter.state)}`);
    const limit = param(filter.limit ?? 100);
    const sql = `${TOKEN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.issued_at DESC, t.hash LIMIT ${limit}`;
    return (await this.query(sql, values)).rows.map(toTokenView);
  }

  async purgeExpired(now: number, batchSize: number): Promise<number> {
    return this.transaction(async (client) => {
      // SKIP LOCKED: instances purging at once take disjoint batches instead of queueing, and
      // never wait on a row that a live request holds.
      const deleted = await client.query<Row>(
        // The candidates come from three index-driven lookups (expiry, revoked token, revoked
        // family), not from one scan of all tokens.
        `WITH candidates AS (
           (SELECT hash FROM tokens WHERE expires_at <= $1 LIMIT $2)
           UNION (SELECT hash FROM tokens WHERE revoked_at IS NOT NULL LIMIT $2)
           UNION (SELECT t.hash FROM token_families f JOIN tokens t ON t.family_id = f.id WHERE f.revoked_at IS NOT NULL LIMIT $2)
         ), doomed AS (
           SELECT hash FROM tokens WHERE hash IN (SELECT hash FROM candidates)
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
         DELETE FROM tokens WHERE hash IN (SELECT hash FROM doomed)
         RETURNING family_id`,
        [now, batchSize],
      );
      const families = [...new Set(deleted.rows.map((row) => row.family_id as string))];
      if (families.length > 0) {
        await client.query(
          'DELETE FROM token_families f WHERE f.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM tokens WHERE family_id = f.id)',
          [families],
        );
      }
      return deleted.rowCount ?? 0;
    });
  }

  async createAdminSession(session: AdminSession): Promise<void> {
    await this.query('INSERT INTO admin_sessions (id_hash, username, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      session.idHash,
      session.username,
      session.createdAt,
      session.lastSeenAt,
      session.expiresAt,
    ]);
  }

  async findAdminSession(idHash: string): Promise<AdminSession | undefined> {
    const row = (await this.query('SELECT * FROM admin_sessions WHERE id_hash = $1', [idHash])).rows[0];
    return row && toAdminSession(row);
  }

  async touchAdminSession(idHash: string, lastSeenAt: number): Promise<void> {
    // GREATEST: a late request from another instance never moves the idle clock back.
    await this.query('UPDATE admin_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id_hash = $2', [lastSeenAt, idHash]);
  }

  async deleteAdminSession(idHash: string): Promise<boolean> {
    return ((await this.query('DELETE FROM admin_sessions WHERE id_hash = $1', [idHash])).rowCount ?? 0) > 0;
  }

  async deleteAdminSessionsOf(username: string): Promise<number> {
    return (await this.query('DELETE FROM admin_sessions WHERE username = $1', [username])).rowCount ?? 0;
  }

  async purgeAdminSessions(now: number, idleBefore: number): Promise<number> {
    return (await this.query('DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen_at < $2', [now, idleBefore])).rowCount ?? 0;
  }

  async replacePasswordHash(username: string, expected: string, next: string): Promise<boolean> {
    const result = await this.query('UPDATE users SET password_hash = $1 WHERE username = $2 AND password_hash = $3', [next, username, expected]);
    return (result.rowCount ?? 0) > 0;
  }

  async appendAudit(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    // One statement for the whole batch: all the events are stored, or none.
    await this.query(
      `INSERT INTO audit_log (at, type, ip, client_id, username, reason, detail)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
      [
        events.map((event) => event.at),
        events.map((event) => event.type),
        events.map((event) => event.ip ?? null),
        events.map((event) => event.clientId ?? null),
        events.map((event) => event.username ?? null),
        events.map((event) => event.reason ?? null),
        events.map((event) => (event.detail === undefined ? null : JSON.stringify(event.detail))),
      ],
    );
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const { rows } = await this.query('SELECT * FROM audit_log WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2', [
      query.beforeId ?? null,
      query.limit,
    ]);
    return rows.map(toAuditRecord);
  }

  async saveService(service: Service): Promise<void> {
    await this.query(
      `INSERT INTO services (name, upstream, methods, templates, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET upstream = excluded.upstream, methods = excluded.methods, templates = excluded.templates`,
      [service.name, service.upstream, service.methods.join(' '), JSON.stringify(service.templates), service.createdAt],
    );
  }

  async findService(name: string): Promise<Service | undefined> {
    const row = (await this.query('SELECT * FROM services WHERE name = $1', [name])).rows[0];
    return row && toService(row);
  }

  async listServices(): Promise<Service[]> {
    // Byte order, as SQLite sorts: route ties between services break the same way on both stores.
    return (await this.query('SELECT * FROM services ORDER BY name COLLATE "C"')).rows.map(toService);
  }

  async deleteService(name: string): Promise<boolean> {
    return ((await this.query('DELETE FROM services WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  async setAcl(acl: Acl): Promise<void> {
    await this.query(
      `INSERT INTO acls (resource, allow, deny) VALUES ($1, $2, $3)
       ON CONFLICT (resource) DO UPDATE SET allow = excluded.allow, deny = excluded.deny`,
      [acl.resource, JSON.stringify(acl.allow), JSON.stringify(acl.deny)],
    );
  }

  async listAcls(): Promise<Acl[]> {
    return (await this.query('SELECT * FROM acls ORDER BY resource COLLATE "C"')).rows.map(toAcl);
  }

  async deleteAcl(resource: string): Promise<boolean> {
    return ((await this.query('DELETE FROM acls WHERE resource = $1', [resource])).rowCount ?? 0) > 0;
  }

  /** The connection pool, shared with the throttle counters (same limits and statement timeout). */
  get connectionPool(): pg.Pool {
    return this.pool;
  }

  async recordThrottleBlock(block: ThrottleBlock): Promise<void> {
    await this.query('DELETE FROM throttle_blocks WHERE until < $1', [block.since - FORGET_BLOCKS_AFTER]);
    await this.query(
      `INSERT INTO throttle_blocks (counter, username, ip, since, until) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (counter, username, ip) DO UPDATE SET since = excluded.since, until = excluded.until`,
      [block.counter, block.username ?? '', block.ip ?? '', block.since, block.until],
    );
  }

  async listThrottleBlocks(query: { now: number; username?: string; ip?: string }): Promise<ThrottleBlock[]> {
    const { rows } = await this.query(
      `SELECT * FROM throttle_blocks WHERE until > $1 AND ($2::text IS NULL OR username = $2) AND ($3::text IS NULL OR ip = $3)
       ORDER BY since DESC, counter, username, ip LIMIT 1000`,
      [query.now, query.username ?? null, query.ip ?? null],
    );
    return rows.map(toThrottleBlock);
  }

  async deleteThrottleBlocks(subject: { username: string } | { ip: string }): Promise<number> {
    const result =
      'username' in subject
        ? await this.query("DELETE FROM throttle_blocks WHERE username = $1 AND username <> ''", [subject.username])
        : await this.query("DELETE FROM throttle_blocks WHERE ip = $1 AND ip <> ''", [subject.ip]);
    return result.rowCount ?? 0;
  }
}

/** Seconds an ended throttle block is kept before a later block clears it away. */
const FORGET_BLOCKS_AFTER = 86_400;
