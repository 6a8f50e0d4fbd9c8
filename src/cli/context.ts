import type { Command } from 'commander';
import { hostname, userInfo } from 'node:os';
import { asActor } from '../manage/actor.ts';
import { loadConfig } from '../config/config.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import { Argon2Hasher, type PasswordHasher } from '../core/password-hash.ts';
import type { SecretBox } from '../core/secret-box.ts';
import { loadServerKey, serverKeySource } from '../manage/server-key.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';

/** Options every data command takes (docs/cli.md). */
export interface DataOptions {
  db?: string;
  databaseUrl?: string;
  config?: string;
  json?: boolean;
}

export function withDataOptions(command: Command): Command {
  return command
    .option('--db <path>', 'SQLite database file (env PORTCULLIS_DB; default ./data/portcullis.db)')
    .option('--database-url <url>', 'PostgreSQL URL (env PORTCULLIS_DATABASE_URL)')
    .option('--config <file>', 'configuration file (default ./portcullis.yaml when present)')
    .option('--json', 'machine-readable output');
}

export interface CliContext {
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  json: boolean;
  /** The server key's box, loaded (or, on a new SQLite database, created) on first use. */
  secretBox(): Promise<SecretBox>;
  /** Prints a result: JSON when --json, else the human text. */
  print(result: unknown, human?: string): void;
}

/** Opens the configured store (migrated) for one command, and closes it afterwards. */
export async function withStore(options: DataOptions, work: (cli: CliContext) => Promise<void>): Promise<void> {
  const config = loadConfig({ db: options.db, databaseUrl: options.databaseUrl, config: options.config });
  const store = await openStore(config);
  try {
    await store.migrate();
    const json = options.json === true;
    let secretBox: Promise<SecretBox> | undefined;
    // Operator changes made by this command name the operating-system user and host.
    await asActor({ name: `${osUser()}@${hostname()}`, via: 'cli' }, () => work({
      store,
      hasher: new Argon2Hasher(config.argon2),
      clock: systemClock,
      json,
      secretBox: () => (secretBox ??= loadServerKey(serverKeySource(config), store)),
      print(result, human) {
        process.stdout.write(json || human === undefined ? `${JSON.stringify(result, null, 2)}\n` : `${human}\n`);
      },
    }));
  } finally {
    await store.close();
  }
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
