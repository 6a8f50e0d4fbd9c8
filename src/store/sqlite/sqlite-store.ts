import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { packageFile } from '../../package-files.ts';
import {
  type AdminSession,
  type Acl,
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
import type { AuditEvent, AuditRecord } from '../../core/audit.ts';
import type { ThrottleBlock } from '../../core/model.ts';
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
import { BackgroundCheckpointer } from './background-checkpointer.ts';
import { GroupCommit } from './group-commit.ts';
import type { ChangeWatch } from './change-watch.ts';
import { ReadCaches } from './read-caches.ts';
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
import { tokenStateSql } from './token-state.ts';

const MIGRATIONS_DIR = packageFile('src', 'store', 'sqlite', 'migrations');

function tokenParams(token: TokenRecord): Row {
  return {
    hash: token.hash,
    kind: token.kind,
    family_id: token.familyId,
    client_id: token.clientId,
    username: token.username,
    scope: token.scope.join(' '),
    issued_at: token.issuedAt,
    expires_at: token.expiresAt,
  };
}

function isConstraint(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && (error as { code: string }).code === code;
}

const CLIENT_SELECT = `
  SELECT c.*, (SELECT group_concat(scope_name, ' ') FROM client_scopes WHERE client_id = c.id) AS scopes
  FROM clients c`;

const USER_SELECT = `
  SELECT u.*, (SELECT group_concat(group_name, ' ') FROM user_groups WHERE username = u.username) AS groups
  FROM users u`;

const TOKEN_SELECT = `
  SELECT t.*, f.revoked_at AS family_revoked_at, c.enabled AS client_enabled,
         CASE WHEN t.username IS NULL THEN NULL ELSE coalesce(u.enabled, 0) END AS user_enabled
  FROM tokens t
  JOIN token_families f ON f.id = t.family_id
  JOIN clients c ON c.id = t.client_id
  LEFT JOIN users u ON u.username = t.username`;

/** The embedded store: one SQLite file in WAL mode, through better-sqlite3's synchronous API. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Token writes of the hot paths (grants, refreshes) are committed in groups; see GroupCommit. */
  private readonly writes: GroupCommit;
  private readonly checkpointer: BackgroundCheckpointer;
  /** Caches of the client and token reads; on once the schema is migrated (their triggers need the tables). */
  private caches: ReadCaches | undefined;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (the OS has every committed page); only a
    // power loss can drop the last transactions.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint every ~40 MB of WAL instead of every 4 MB: hot pages (index right edges, interior
    // pages) are rewritten many times between checkpoints but copied to the database only once.
    this.db.pragma('wal_autocheckpoint = 10000');
    this.checkpointer = new BackgroundCheckpointer(path);
    this.writes = new GroupCommit(this.db, () => this.checkpointer.start());
  }

  /** Prepared statements, compiled once per SQL text. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async migrate(): Promise<number[]> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((name) => /^\d{4}-.*\.sql$/.test(name))
      .sort();
    const applied: number[] = [];
    const run = this.db.transaction(() => {
      const done = new Set(
        (this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) => row.version as number),
      );
      for (const file of files) {
        const version = Number(file.slice(0, 4));
        if (done.has(version)) continue;
        this.db.exec(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Math.floor(Date.now() / 1000));
        applied.push(version);
      }
    });
    run.immediate();
    this.caches ??= new ReadCaches(this.db);
    return applied;
  }

  async ping(): Promise<void> {
    this.sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.writes.flush();
    await this.checkpointer.stop();
    if (this.db.open) this.db.close();
  }

  async getSettings(): Promise<Settings> {
    const rows = this.sql('SELECT key, value FROM settings').all() as Row[];
    const settings: Settings = { ...DEFAULT_SETTINGS };
    for (const row of rows) {
      const value = JSON.parse(row.value as string) as never;
      const key = row.key as string;
      if (key in settings) (settings as unknown as Record<string, unknown>)[key] = value;
    }
    return settings;
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const upsert = this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) upsert.run(key, JSON.stringify(value));
      }
    })();
    return this.getSettings();
  }

  async createGroup(name: string): Promise<void> {
    try {
      this.sql('INSERT INTO groups (name) VALUES (?)').run(name);
    } catch (error) {
      if (isConstraint(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw new ConflictError(`group ${name} already exists`);
      throw error;
    }
  }

  async listGroups(): Promise<string[]> {
    return (this.sql('SELECT name FROM groups ORDER BY name').all() as Row[]).map((row) => row.name as string);
  }

  async deleteGroup(name: string): Promise<boolean> {
    return this.sql('DELETE FROM groups WHERE name = ?').run(name).changes > 0;
  }

  private setGroups(username: string, groups: string[]): void {
    this.sql('DELETE FROM user_groups WHERE username = ?').run(username);
    const insert = this.sql('INSERT INTO user_groups (username, group_name) VALUES (?, ?)');
    for (const group of groups) {
      try {
        insert.run(username, group);
      } catch (error) {
        if (isConstraint(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new MissingReferenceError(`group ${group} does not exist`);
        throw error;
      }
    }
  }

  async createUser(user: User): Promise<void> {
    this.db.transaction(() => {
      try {
        this.sql('INSERT INTO users (username, password_hash, enabled, created_at) VALUES (?, ?, ?, ?)').run(
          user.username,
          user.passwordHash,
          user.enabled ? 1 : 0,
          user.createdAt,
        );
      } catch (error) {
        if (isConstraint(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw new ConflictError(`user ${user.username} already exists`);
        throw error;
      }
      this.setGroups(user.username, user.groups);
    })();
  }

  async findUser(username: string): Promise<User | undefined> {
    const row = this.sql(`${USER_SELECT} WHERE u.username = ?`).get(username) as Row | undefined;
    return row && toUser(row);
  }

  async listUsers(): Promise<User[]> {
    return (this.sql(`${USER_SELECT} ORDER BY u.username`).all() as Row[]).map(toUser);
  }

  async updateUser(username: string, patch: UserPatch): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.sql('SELECT 1 FROM users WHERE username = ?').get(username)) return false;
      if (patch.passwordHash !== undefined) {
        this.sql('UPDATE users SET password_hash = ? WHERE username = ?').run(patch.passwordHash, username);
      }
      if (patch.enabled !== undefined) {
        this.sql('UPDATE users SET enabled = ? WHERE username = ?').run(patch.enabled ? 1 : 0, username);
      }
      if (patch.groups !== undefined) this.setGroups(username, patch.groups);
      return true;
    })();
  }

  async deleteUser(username: string): Promise<boolean> {
    return this.sql('DELETE FROM users WHERE username = ?').run(username).changes > 0;
  }

  async countGroupMembers(group: string): Promise<number> {
    return (this.sql('SELECT count(*) AS n FROM user_groups WHERE group_name = ?').get(group) as Row).n as number;
  }

  async saveScope(scope: Scope): Promise<void> {
    this.sql(
      `INSERT INTO scopes (name, description, resources) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET description = excluded.description, resources = excluded.resources`,
    ).run(scope.name, scope.description, JSON.stringify(scope.resources));
  }

  async findScope(name: string): Promise<Scope | undefined> {
    const row = this.sql('SELECT * FROM scopes WHERE name = ?').get(name) as Row | undefined;
    return row && toScope(row);
  }

  async listScopes(): Promise<Scope[]> {
    return (this.sql('SELECT * FROM scopes ORDER BY name').all() as Row[]).map(toScope);
  }

  async deleteScope(name: string): Promise<boolean> {
    return this.sql('DELETE FROM scopes WHERE name = ?').run(name).changes > 0;
  }

  private setClientScopes(clientId: string, scopes: string[]): void {
    this.sql('DELETE FROM client_scopes WHERE client_id = ?').run(clientId);
    const insert = this.sql('INSERT INTO client_scopes (client_id, scope_name) VALUES (?, ?)');
    for (const scope of scopes) {
      try {
        insert.run(clientId, scope);
      } catch (error) {
        if (isConstraint(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new MissingReferenceError(`scope ${scope} does not exist`);
        throw error;
      }
    }
  }

  async createClient(client: Client): Promise<void> {
    this.db.transaction(() => {
      try {
        this.sql(
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
      this.setClientScopes(client.id, client.scopes);
    })();
  }

  async findClient(id: string): Promise<Client | undefined> {
    const load = () => {
      const row = this.sql(`${CLIENT_SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
      return row && toClient(row);
    };
    return this.caches ? this.caches.client(id, load) : load();
  }

  async findClientByName(name: string, version: string): Promise<Client | undefined> {
    const row = this.sql(`${CLIENT_SELECT} WHERE c.name = ? AND c.version = ?`).get(name, version) as Row | undefined;
    return row && toClient(row);
  }

  async listClients(): Promise<Client[]> {
    return (this.sql(`${CLIENT_SELECT} ORDER BY c.name, c.version`).all() as Row[]).map(toClient);
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
    if (patch.enabled !== undefined) columns.enabled = patch.enabled ? 1 : 0;
    if (patch.introspect !== undefined) columns.introspect = patch.introspect ? 1 : 0;
    if (patch.serviceUser !== undefined) columns.service_user = patch.serviceUser;
    return this.db.transaction(() => {
      if (!this.sql('SELECT 1 FROM clients WHERE id = ?').get(id)) return false;
      const names = Object.keys(columns);
      if (names.length > 0) {
        try {
          this.db
            .prepare(`UPDATE clients SET ${names.map((name) => `${name} = @${name}`).join(', ')} WHERE id = @id`)
            .run({ ...columns, id });
        } catch (error) {
          if (isConstraint(error, 'SQLITE_CONSTRAINT_UNIQUE')) throw new ConflictError('a client with that name and version already exists');
          throw error;
        }
      }
      if (patch.scopes !== undefined) this.setClientScopes(id, patch.scopes);
      return true;
    })();
  }

  async deleteClient(id: string): Promise<boolean> {
    // Families and tokens go with the client through ON DELETE CASCADE.
    return this.sql('DELETE FROM clients WHERE id = ?').run(id).changes > 0;
  }

  private insertToken(token: TokenRecord): void {
    this.sql(
      `INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at)
       VALUES (@hash, @kind, @family_id, @client_id, @username, @scope, @issued_at, @expires_at)`,
    ).run(tokenParams(token));
  }

  async saveFamily(family: TokenFamily, tokens: TokenRecord[]): Promise<void> {
    return this.writes.run(() => {
      this.sql(
        'INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES (?, ?, ?, ?, 0, ?)',
      ).run(family.id, family.clientId, family.username, family.scope.join(' '), family.createdAt);
      for (const token of tokens) this.insertToken(token);
    });
  }

  async findToken(hash: string): Promise<TokenView | undefined> {
    const load = () => {
      const row = this.sql(`${TOKEN_SELECT} WHERE t.hash = ?`).get(hash) as Row | undefined;
      return row && toTokenView(row);
    };
    return this.caches ? this.caches.token(hash, load) : load();
  }

  async findFamily(id: string): Promise<TokenFamily | undefined> {
    const row = this.sql('SELECT * FROM token_families WHERE id = ?').get(id) as Row | undefined;
    return row && toFamily(row);
  }

  async rotateRefreshToken(request: RotateRequest): Promise<RotateOutcome> {
    const replacement = request.newTokens.find((token) => token.kind === 'refresh')?.hash ?? null;
    // Atomic as a write of the group commit: a throw rolls back all of it (see GroupCommit).
    const rotate = (): RotateOutcome => {
      const params = { now: request.now, hash: request.presentedHash, replacement };
      let claimed = this.sql(
        `UPDATE tokens SET rotated_at = @now, replaced_by = @replacement
         WHERE hash = @hash AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > @now)
         RETURNING family_id`,
      ).get(params) as Row | undefined;
      if (!claimed && request.reuseLeewaySeconds) {
        // Within the leeway, the presented token may stand in for its direct replacement, and only
        // while that replacement is itself unused: one step back, never more.
        claimed = this.sql(
          `UPDATE tokens SET rotated_at = @now, replaced_by = @replacement
           WHERE hash = (SELECT replaced_by FROM tokens
                         WHERE hash = @hash AND kind = 'refresh' AND revoked_at IS NULL
                           AND rotated_at IS NOT NULL AND rotated_at >= @now - @leeway)
             AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > @now)
           RETURNING family_id`,
        ).get({ ...params, leeway: request.reuseLeewaySeconds }) as Row | undefined;
      }
      if (!claimed) {
        const row = this.sql('SELECT rotated_at FROM tokens WHERE hash = ?').get(request.presentedHash) as Row | undefined;
        return row && row.rotated_at !== null ? 'already_rotated' : 'not_live';
      }
      const counted = this.sql(
        `UPDATE token_families SET refresh_count = refresh_count + 1
         WHERE id = @id AND revoked_at IS NULL AND (@limit IS NULL OR refresh_count < @limit)
         RETURNING id`,
      ).get({ id: claimed.family_id, limit: request.refreshLimit });
      if (!counted) {
        // Undo the claim: the token stays as it was, and no refresh is counted.
        throw new LimitReached();
      }
      for (const token of request.newTokens) this.insertToken({ ...token, familyId: claimed.family_id as string });
      return 'rotated';
    };
    try {
      return await this.writes.run(rotate);
    } catch (error) {
      if (error instanceof LimitReached) return 'limit_reached';
      throw error;
    }
  }

  async revokeFamily(familyId: string, now: number): Promise<boolean> {
    return this.sql('UPDATE token_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, familyId).changes > 0;
  }

  async revokeFamiliesOf(owner: { username: string } | { clientId: string }, now: number): Promise<number> {
    const [column, value] = 'username' in owner ? ['username', owner.username] : ['client_id', owner.clientId];
    return this.sql(`UPDATE token_families SET revoked_at = ? WHERE ${column} = ? AND revoked_at IS NULL`).run(now, value).changes;
  }

  async listTokens(filter: TokenFilter, now: number): Promise<TokenView[]> {
    const where: string[] = [];
    const params: Row = { now, limit: filter.limit ?? 100 };
    if (filter.clientId !== undefined) {
      where.push('t.client_id = @clientId');
      params.clientId = filter.clientId;
    }
    if (filter.username !== undefined) {
      where.push('t.username = @username');
      params.username = filter.username;
    }
    if (filter.state !== undefined) {
      where.push(`${tokenStateSql} = @state`);
      params.state = filter.state;
    }
    const sql = `${TOKEN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.issued_at DESC, t.hash LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as Row[]).map(toTokenView);
  }

  async purgeExpired(now: number, batchSize: number): Promise<number> {
    return this.db.transaction(() => {
      const deleted = this.sql(
        // Three index-driven lookups (expiry, revoked token, revoked family), not one scan of all tokens.
        `DELETE FROM tokens WHERE hash IN (
           SELECT DISTINCT hash FROM (
             SELECT hash FROM tokens WHERE expires_at <= @now
             UNION ALL SELECT hash FROM tokens WHERE revoked_at IS NOT NULL
             UNION ALL SELECT t.hash FROM token_families f JOIN tokens t ON t.family_id = f.id WHERE f.revoked_at IS NOT NULL)
           LIMIT @batch)
         RETURNING family_id`,
      ).all({ now, batch: batchSize }) as Row[];
      // Only the families this batch touched can have been emptied: no scan of all of them.
      const dropEmpty = this.sql('DELETE FROM token_families WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tokens WHERE family_id = ?)');
      for (const familyId of new Set(deleted.map((row) => row.family_id as string))) dropEmpty.run(familyId, familyId);
      return deleted.length;
    })();
  }

  async createAdminSession(session: AdminSession): Promise<void> {
    this.sql('INSERT INTO admin_sessions (id_hash, username, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
      session.idHash,
      session.username,
      session.createdAt,
      session.lastSeenAt,
      session.expiresAt,
    );
  }

  async findAdminSession(idHash: string): Promise<AdminSession | undefined> {
    const row = this.sql('SELECT * FROM admin_sessions WHERE id_hash = ?').get(idHash) as Row | undefined;
    return row && toAdminSession(row);
  }

  async touchAdminSession(idHash: string, lastSeenAt: number): Promise<void> {
    this.sql('UPDATE admin_sessions SET last_seen_at = max(last_seen_at, ?) WHERE id_hash = ?').run(lastSeenAt, idHash);
  }

  async deleteAdminSession(idHash: string): Promise<boolean> {
    return this.sql('DELETE FROM admin_sessions WHERE id_hash = ?').run(idHash).changes > 0;
  }

  async deleteAdminSessionsOf(username: string): Promise<number> {
    return this.sql('DELETE FROM admin_sessions WHERE username = ?').run(username).changes;
  }

  async purgeAdminSessions(now: number, idleBefore: number): Promise<number> {
    return this.sql('DELETE FROM admin_sessions WHERE expires_at <= ? OR last_seen_at < ?').run(now, idleBefore).changes;
  }

  async replacePasswordHash(username: string, expected: string, next: string): Promise<boolean> {
    return this.sql('UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?').run(next, username, expected).changes > 0;
  }

  async appendAudit(events: AuditEvent[]): Promise<void> {
    const insert = this.sql(
      `INSERT INTO audit_log (at, type, ip, client_id, username, reason, detail)
       VALUES (@at, @type, @ip, @clientId, @username, @reason, @detail)`,
    );
    this.db.transaction(() => {
      for (const event of events) {
        insert.run({
          at: event.at,
          type: event.type,
          ip: event.ip ?? null,
          clientId: event.clientId ?? null,
          username: event.username ?? null,
          reason: event.reason ?? null,
          detail: event.detail === undefined ? null : JSON.stringify(event.detail),
        });
      }
    })();
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const rows = this.sql(
      `SELECT * FROM audit_log WHERE (@before IS NULL OR id < @before) AND (@type IS NULL OR type = @type)
         AND (@username IS NULL OR username = @username) AND (@client IS NULL OR client_id = @client)
       ORDER BY id DESC LIMIT @limit`,
    ).all({
      before: query.beforeId ?? null,
      limit: query.limit,
      type: query.type ?? null,
      username: query.username ?? null,
      client: query.clientId ?? null,
    }) as Row[];
    return rows.map(toAuditRecord);
  }

  async saveService(service: Service): Promise<void> {
    this.sql(
      `INSERT INTO services (name, upstream, methods, templates, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET upstream = excluded.upstream, methods = excluded.methods, templates = excluded.templates`,
    ).run(service.name, service.upstream, service.methods.join(' '), JSON.stringify(service.templates), service.createdAt);
  }

  async findService(name: string): Promise<Service | undefined> {
    const row = this.sql('SELECT * FROM services WHERE name = ?').get(name) as Row | undefined;
    return row && toService(row);
  }

  async listServices(): Promise<Service[]> {
    return (this.sql('SELECT * FROM services ORDER BY name').all() as Row[]).map(toService);
  }

  async deleteService(name: string): Promise<boolean> {
    return this.sql('DELETE FROM services WHERE name = ?').run(name).changes > 0;
  }

  async setAcl(acl: Acl): Promise<void> {
    this.sql(
      `INSERT INTO acls (resource, allow, deny) VALUES (?, ?, ?)
       ON CONFLICT (resource) DO UPDATE SET allow = excluded.allow, deny = excluded.deny`,
    ).run(acl.resource, JSON.stringify(acl.allow), JSON.stringify(acl.deny));
  }

  async listAcls(): Promise<Acl[]> {
    return (this.sql('SELECT * FROM acls ORDER BY resource').all() as Row[]).map(toAcl);
  }

  async deleteAcl(resource: string): Promise<boolean> {
    return this.sql('DELETE FROM acls WHERE resource = ?').run(resource).changes > 0;
  }

  /** The open database handle, for the throttle counters that live in the same file. */
  get database(): Database.Database {
    return this.db;
  }

  /**
   * Runs synchronous work on this connection in the next group commit (see GroupCommit), for the
   * throttle counters in the same file; settles once it is committed.
   */
  inWriteGroup<T>(work: () => T): Promise<T> {
    return this.writes.run(work);
  }

  startRequest(): void {
    this.caches?.changes.newRequest();
  }

  /** What tells the caches of this file's rows that they changed; `undefined` before `migrate()`. */
  get changeWatch(): ChangeWatch | undefined {
    return this.caches?.changes;
  }

  async recordThrottleBlock(block: ThrottleBlock): Promise<void> {
    this.db.transaction(() => {
      this.sql('DELETE FROM throttle_blocks WHERE until < ?').run(block.since - FORGET_BLOCKS_AFTER);
      this.sql(
        `INSERT INTO throttle_blocks (counter, username, ip, since, until) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (counter, username, ip) DO UPDATE SET since = excluded.since, until = excluded.until`,
      ).run(block.counter, block.username ?? '', block.ip ?? '', block.since, block.until);
    })();
  }

  async listThrottleBlocks(query: { now: number; username?: string; ip?: string }): Promise<ThrottleBlock[]> {
    const rows = this.sql(
      `SELECT * FROM throttle_blocks WHERE until > ? AND (? IS NULL OR username = ?) AND (? IS NULL OR ip = ?)
       ORDER BY since DESC, counter, username, ip LIMIT 1000`,
    ).all(query.now, query.username ?? null, query.username ?? null, query.ip ?? null, query.ip ?? null) as Row[];
    return rows.map(toThrottleBlock);
  }

  async deleteThrottleBlocks(subject: { username: string } | { ip: string }): Promise<number> {
    return 'username' in subject
      ? this.sql("DELETE FROM throttle_blocks WHERE username = ? AND username <> ''").run(subject.username).changes
      : this.sql("DELETE FROM throttle_blocks WHERE ip = ? AND ip <> ''").run(subject.ip).changes;
  }
}

/** Seconds an ended throttle block is kept before a later block clears it away. */
const FORGET_BLOCKS_AFTER = 86_400;

class LimitReached extends Error {}
