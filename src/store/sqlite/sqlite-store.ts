import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { packageFile } from '../../package-files.ts';
import type {
  AdminSession,
  Acl,
  Client,
  Scope,
  Service,
  Settings,
  TokenFamily,
  TokenRecord,
  TokenView,
  User,
} from '../../core/model.ts';
import type { AuditEvent, AuditRecord } from '../../core/audit.ts';
import type { ThrottleBlock } from '../../core/model.ts';
import type {
  AuditQuery,
  ClientPatch,
  RotateOutcome,
  RotateRequest,
  Store,
  TokenFilter,
  UserPatch,
} from '../store.ts';
import { BackgroundCheckpointer } from './background-checkpointer.ts';
import { GroupCommit } from './group-commit.ts';
import type { ChangeWatch } from './change-watch.ts';
import { ReadCaches } from './read-caches.ts';
import type { Row } from '../rows.ts';
import type { SqliteContext } from './context.ts';
import * as accounts from './accounts.ts';
import * as admin from './admin.ts';
import * as clients from './clients.ts';
import * as services from './services.ts';
import * as tokens from './tokens.ts';

const MIGRATIONS_DIR = packageFile('src', 'store', 'sqlite', 'migrations');

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
  /** The handle and statement cache, as the SQL of each concept (accounts.ts, clients.ts, …) takes them. */
  private readonly context: SqliteContext;

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
    this.context = { db: this.db, sql: (text) => this.sql(text) };
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

  // Groups, users and password hashes: see accounts.ts.

  async createGroup(name: string): Promise<void> {
    accounts.createGroup(this.context, name);
  }

  async listGroups(): Promise<string[]> {
    return accounts.listGroups(this.context);
  }

  async deleteGroup(name: string): Promise<boolean> {
    return accounts.deleteGroup(this.context, name);
  }

  async createUser(user: User): Promise<void> {
    accounts.createUser(this.context, user);
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
    clients.saveScope(this.context, scope);
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
    clients.createClient(this.context, client);
  }

  async findClient(id: string): Promise<Client | undefined> {
    const load = () => clients.findClient(this.context, id);
    return this.caches ? this.caches.client(id, load) : load();
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
    return this.writes.run(() => tokens.saveFamily(this.context, family, records));
  }

  async findToken(hash: string): Promise<TokenView | undefined> {
    const load = () => tokens.findToken(this.context, hash);
    return this.caches ? this.caches.token(hash, load) : load();
  }

  async findFamily(id: string): Promise<TokenFamily | undefined> {
    return tokens.findFamily(this.context, id);
  }

  async rotateRefreshToken(request: RotateRequest): Promise<RotateOutcome> {
    // Atomic as a write of the group commit: a throw rolls back all of it (see GroupCommit).
    try {
      return await this.writes.run(() => tokens.rotateRefreshToken(this.context, request));
    } catch (error) {
      if (error instanceof tokens.LimitReached) return 'limit_reached';
      throw error;
    }
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
    admin.createAdminSession(this.context, session);
  }

  async findAdminSession(idHash: string): Promise<AdminSession | undefined> {
    return admin.findAdminSession(this.context, idHash);
  }

  async touchAdminSession(idHash: string, lastSeenAt: number): Promise<void> {
    admin.touchAdminSession(this.context, idHash, lastSeenAt);
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
    admin.appendAudit(this.context, events);
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return admin.listAudit(this.context, query);
  }

  async recordThrottleBlock(block: ThrottleBlock): Promise<void> {
    admin.recordThrottleBlock(this.context, block);
  }

  async listThrottleBlocks(query: { now: number; username?: string; ip?: string }): Promise<ThrottleBlock[]> {
    return admin.listThrottleBlocks(this.context, query);
  }

  async deleteThrottleBlocks(subject: { username: string } | { ip: string }): Promise<number> {
    return admin.deleteThrottleBlocks(this.context, subject);
  }

  // Services and ACLs: see services.ts.

  async saveService(service: Service): Promise<void> {
    services.saveService(this.context, service);
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
    services.setAcl(this.context, acl);
  }

  async listAcls(): Promise<Acl[]> {
    return services.listAcls(this.context);
  }

  async deleteAcl(resource: string): Promise<boolean> {
    return services.deleteAcl(this.context, resource);
  }
}
