import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { asActor } from '../manage/actor.ts';
import { type Config, loadConfig } from '../config/config.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import { Argon2Hasher, type PasswordHasher } from '../core/password-hash.ts';
import type { SecretBox } from '../core/secret-box.ts';
import { loadServerKey, serverKeySource } from '../manage/server-key.ts';
import { describeDatabase, explainStoreFailure, openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';

/** Options every data command takes (docs/cli.md). */
export interface DataOptions {
  db?: string;
  databaseUrl?: string;
  config?: string;
  json?: boolean;
  /** Create the database when it does not exist yet (docs/cli.md#which-database). */
  create?: boolean;
}

/** A usage error: exit status 2, like commander's own (docs/cli.md#exit-status). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Subcommands that only read: they do not name the database they use. */
const READ_ONLY = new Set(['list', 'show', 'tail', 'test']);

export function withDataOptions(command: Command): Command {
  return command
    .option('--db <path>', 'SQLite database file (env PORTCULLIS_DB; default ./data/portcullis.db)')
    .option('--database-url <url>', 'PostgreSQL URL (env PORTCULLIS_DATABASE_URL)')
    .option('--config <file>', 'configuration file (default ./portcullis.yaml when present)')
    .option('--create', 'create the database if it does not exist yet')
    .option('--json', 'machine-readable output')
    .hook('preAction', (_command, action) => {
      action.setOptionValue('writes', !READ_ONLY.has(action.name()));
    });
}

export interface CliContext {
  config: Config;
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  json: boolean;
  /** The server key's box, loaded (or, on a new SQLite database, created) on first use. */
  secretBox(): Promise<SecretBox>;
  /** Prints a result: JSON when --json, else the human text. */
  print(result: unknown, human?: string): void;
}

/**
 * Refuses a database that does not exist yet unless `create`: a command run from the wrong folder
 * would otherwise make a new one there, and print a secret the running server never learns of.
 */
function refuseNewDatabase(config: Config, exists: boolean, create: boolean): void {
  if (exists || create) return;
  const where = config.databaseFrom?.startsWith('--') ? '' : ` (${config.databaseFrom === 'db' ? `the default, in ${process.cwd()}` : `from ${config.databaseFrom}`})`;
  throw new UsageError(
    `there is no database at ${describeDatabase(config)}${where}. Run the command where the server's portcullis.yaml is, ` +
      'or give it the server\'s --config, --db or --database-url (or PORTCULLIS_* variables); --create makes a new database.',
  );
}

/** Names the database on standard error when no flag on the command line named it. */
function sayWhichDatabase(config: Config): void {
  if (config.databaseFrom?.startsWith('--')) return;
  const from = config.databaseFrom === 'db' ? 'the default' : config.databaseFrom;
  process.stderr.write(`portcullis: using ${describeDatabase(config)} (${from})\n`);
}

/**
 * Opens the configured store (migrated) for one command, and closes it afterwards. The database
 * must exist unless `options.create` (or `alwaysCreate`, for `migrate`).
 */
export async function withStore(
  options: DataOptions & { writes?: boolean },
  work: (cli: CliContext, applied: number[]) => Promise<void>,
  alwaysCreate = false,
): Promise<void> {
  const config = loadConfig({ db: options.db, databaseUrl: options.databaseUrl, config: options.config });
  const create = alwaysCreate || options.create === true;
  if (config.databaseUrl === undefined) refuseNewDatabase(config, existsSync(resolve(config.db)), create);
  const store = await openStore(config);
  try {
    if (config.databaseUrl !== undefined) {
      const exists = await store.hasSchema().catch((error: unknown) => {
        throw explainStoreFailure(error, config);
      });
      refuseNewDatabase(config, exists, create);
    }
    const applied = await store.migrate().catch((error: unknown) => {
      throw explainStoreFailure(error, config);
    });
    if (options.writes === true) sayWhichDatabase(config);
    const json = options.json === true;
    let secretBox: Promise<SecretBox> | undefined;
    // Operator changes made by this command name the operating-system user and host.
    await asActor({ name: `${osUser()}@${hostname()}`, via: 'cli' }, () => work({
      config,
      store,
      hasher: new Argon2Hasher(config.argon2),
      clock: systemClock,
      json,
      secretBox: () => (secretBox ??= loadServerKey(serverKeySource(config), store)),
      print(result, human) {
        process.stdout.write(json || human === undefined ? `${JSON.stringify(result, null, 2)}\n` : `${human}\n`);
      },
    }, applied));
  } finally {
    await store.close();
  }
}

/**
 * The line after a change that running servers pick up from their caches: ACLs, services and
 * group memberships reach the gateway within settings_max_age (docs/configuration.md).
 */
export function takesEffect(cli: CliContext): string {
  const seconds = cli.config.settingsMaxAge;
  return seconds === 0 ? 'running servers apply it at once' : `running servers apply it within ${seconds} s (settings_max_age)`;
}

/** Reads a password from standard input (never from argv, where other users could see it). */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function splitCsv(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Prints rows as an aligned table. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (value: unknown): string => {
    if (Array.isArray(value)) return value.join(',');
    if (value === null || value === undefined) return '-';
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => cell(row[column]))))].join('\n');
}

/** The operating-system user running the command (`unknown` where the system has no name for it). */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
