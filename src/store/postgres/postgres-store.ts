import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { AuditEvent, AuditRecord } from '../../core/audit.ts';
import type {
  Acl,
  AdminSession,
  Client,
  Scope,
  Service,
  Settings,
  TokenFamily,
  TokenRecord,
  TokenView,
  User,
} from '../../core/model.ts';
import type {
  AuditQuery,
  ClientPatch,
  RotateOutcome,
  RotateRequest,
  Store,
  TokenFilter,
  UserPatch,
} from '../store.ts';
import type { ThrottleBlock } from '../../core/model.ts';
import type { Row } from '../rows.ts';
import { packageFile } from '../../package-files.ts';
import type { PostgresContext, Queryable } from './context.ts';
import * as accounts from './accounts.ts';
import * as admin from './admin.ts';
import * as clients from './clients.ts';
import * as services from './services.ts';
import * as tokens from './tokens.ts';

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

/**
 * The cluster store: any number of instances share one PostgreSQL database through `pg`'s pool.
 * Single-use operations are single statements that lock the row they change, so two instances
 * racing on one refresh token produce exactly one winner.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  /** The pool's queries and transactions, as the SQL of each concept (accounts.ts, clients.ts, …) takes them. */
  private readonly context: PostgresContext = {
    query: (text, values, on) => this.query(text, values, on),
    transaction: (work) => this.transaction(work),
  };

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

  /** The connection pool, shared with the throttle counters (same limits and statement timeout). */
  get connectionPool(): pg.Pool {
    return this.pool;
  }

  // Groups, users and password hashes: see accounts.ts.

  async createGroup(name: string): Promise<void> {
    return accounts.createGroup(this.context, name);
  }

  async listGroups(): Promise<string[]> {
    return accounts.listGroups(this.context);
  }

  async deleteGroup(name: string): Promise<boolean> {
    return accounts.deleteGroup(this.context, name);
  }

  async createUser(user: User): Promise<void> {
    return accounts.createUser(this.context, user);
  }

  async findUser(username: string): Promise<User | undefined> {
    return accounts.findUser(this.context, username);
  }

  async listUsers(): Promise<User[]> {
    return accounts.listUsers(this.context);
  }

  async updateUser(username: string, patch: UserPatch): Promise<boolean> {
    return accounts.updateUser(this.context, username, patch);
  }

  async deleteUser(username: string): Promise<boolean> {
    return accounts.deleteUser(this.context, username);
  }

  async countGroupMembers(group: string): Promise<number> {
    return accounts.countGroupMembers(this.context, group);
  }

  async replacePasswordHash(username: string, expected: string, next: string): Promise<boolean> {
    return accounts.replacePasswordHash(this.context, username, expected, next);
  }

  // Scopes and clients: see clients.ts.

  async saveScope(scope: Scope): Promise<void> {
    return clients.saveScope(this.context, scope);
  }

  async findScope(name: string): Promise<Scope | undefined> {
    return clients.findScope(this.context, name);
  }

  async listScopes(): Promise<Scope[]> {
    return clients.listScopes(this.context);
  }

  async deleteScope(name: string): Promise<boolean> {
    return clients.deleteScope(this.context, name);
  }

  async createClient(client: Client): Promise<void> {
    return clients.createClient(this.context, client);
  }

  async findClient(id: string): Promise<Client | undefined> {
    return clients.findClient(this.context, id);
  }

  async findClientByName(name: string, version: string): Promise<Client | undefined> {
    return clients.findClientByName(this.context, name, version);
  }

  async listClients(): Promise<Client[]> {
    return clients.listClients(this.context);
  }

  async updateClient(id: string, patch: ClientPatch): Promise<boolean> {
    return clients.updateClient(this.context, id, patch);
  }

  async deleteClient(id: string): Promise<boolean> {
    return clients.deleteClient(this.context, id);
  }

  // Token families and tokens: see tokens.ts.

  async saveFamily(family: TokenFamily, records: TokenRecord[]): Promise<void> {
    return tokens.saveFamily(this.context, family, records);
  }

  async findToken(hash: string): Promise<TokenView | undefined> {
    return tokens.findToken(this.context, hash);
  }

  async findFamily(id: string): Promise<TokenFamily | undefined> {
    return tokens.findFamily(this.context, id);
  }

  async rotateRefreshToken(request: RotateRequest): Promise<RotateOutcome> {
    return tokens.rotateRefreshToken(this.context, request);
  }

  async revokeFamily(familyId: string, now: number): Promise<boolean> {
    return tokens.revokeFamily(this.context, familyId, now);
  }

  async revokeFamiliesOf(owner: { username: string } | { clientId: string }, now: number): Promise<number> {
    return tokens.revokeFamiliesOf(this.context, owner, now);
  }

  async listTokens(filter: TokenFilter, now: number): Promise<TokenView[]> {
    return tokens.listTokens(this.context, filter, now);
  }

  async purgeExpired(now: number, batchSize: number): Promise<number> {
    return tokens.purgeExpired(this.context, now, batchSize);
  }

  // Settings, admin sessions, the audit log and throttle blocks: see admin.ts.

  async getSettings(): Promise<Settings> {
    return admin.getSettings(this.context);
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    return admin.updateSettings(this.context, patch);
  }

  async createAdminSession(session: AdminSession): Promise<void> {
    return admin.createAdminSession(this.context, session);
  }

  async findAdminSession(idHash: string): Promise<AdminSession | undefined> {
    return admin.findAdminSession(this.context, idHash);
  }

  async touchAdminSession(idHash: string, lastSeenAt: number): Promise<void> {
    return admin.touchAdminSession(this.context, idHash, lastSeenAt);
  }

  async deleteAdminSession(idHash: string): Promise<boolean> {
    return admin.deleteAdminSession(this.context, idHash);
  }

  async deleteAdminSessionsOf(username: string): Promise<number> {
    return admin.deleteAdminSessionsOf(this.context, username);
  }

  async purgeAdminSessions(now: number, idleBefore: number): Promise<number> {
    return admin.purgeAdminSessions(this.context, now, idleBefore);
  }

  async appendAudit(events: AuditEvent[]): Promise<void> {
    return admin.appendAudit(this.context, events);
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return admin.listAudit(this.context, query);
  }

  async recordThrottleBlock(block: ThrottleBlock): Promise<void> {
    return admin.recordThrottleBlock(this.context, block);
  }

  async listThrottleBlocks(query: { now: number; username?: string; ip?: string }): Promise<ThrottleBlock[]> {
    return admin.listThrottleBlocks(this.context, query);
  }

  async deleteThrottleBlocks(subject: { username: string } | { ip: string }): Promise<number> {
    return admin.deleteThrottleBlocks(this.context, subject);
  }

  // Services and ACLs: see services.ts.

  async saveService(service: Service): Promise<void> {
    return services.saveService(this.context, service);
  }

  async findService(name: string): Promise<Service | undefined> {
    return services.findService(this.context, name);
  }

  async listServices(): Promise<Service[]> {
    return services.listServices(this.context);
  }

  async deleteService(name: string): Promise<boolean> {
    return services.deleteService(this.context, name);
  }

  async setAcl(acl: Acl): Promise<void> {
    return services.setAcl(this.context, acl);
  }

  async listAcls(): Promise<Acl[]> {
    return services.listAcls(this.context);
  }

  async deleteAcl(resource: string): Promise<boolean> {
    return services.deleteAcl(this.context, resource);
  }
}
