import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../core/errors.ts';
import { generateServerKey, parseServerKey, SecretBox } from '../core/secret-box.ts';
import type { SettingsStore } from '../store/store.ts';

/** Where the server key comes from (docs/security.md, "The server key"). */
export interface ServerKeySource {
  /** `PORTCULLIS_SECRET_KEY`: the key itself. */
  secretKey: string | undefined;
  /** `secret_key_file`: a file holding the key. */
  secretKeyFile: string | undefined;
  /** The SQLite database file (the key file's default home); `undefined` on PostgreSQL. */
  sqliteFile: string | undefined;
}

/** The server key's source in a configuration. */
export function serverKeySource(config: Config): ServerKeySource {
  return { secretKey: config.secretKey, secretKeyFile: config.secretKeyFile, sqliteFile: config.databaseUrl === undefined ? config.db : undefined };
}

const HOW_TO_MAKE_ONE = 'a 32-byte key in base64 or hex, e.g. the output of `openssl rand -base64 32`';

/**
 * Loads the server key and checks it is the one this database was set up with. On SQLite without
 * a configured key, the first start writes a new one beside the database file (mode 0600). A key
 * that is missing or different once the database has one is a start-up error: a new key could not
 * open what the old one sealed, so it is never silently replaced.
 */
export async function loadServerKey(source: ServerKeySource, store: SettingsStore): Promise<SecretBox> {
  const recorded = await store.serverKeyCheck();
  const box = new SecretBox(readKey(source, recorded !== undefined));
  const claimed = await store.claimServerKeyCheck(box.check);
  if (claimed !== box.check) {
    throw new ConfigError(
      `the server key (${describe(source)}) is not the one this database was set up with: restore the original PORTCULLIS_SECRET_KEY or key file`,
    );
  }
  return box;
}

function readKey(source: ServerKeySource, databaseHasKey: boolean): Buffer {
  if (source.secretKey !== undefined) return parse(source.secretKey, 'PORTCULLIS_SECRET_KEY');
  // An in-memory database gets a key that lives as long as it.
  if (source.sqliteFile === ':memory:' && source.secretKeyFile === undefined) return Buffer.from(generateServerKey(), 'base64url');
  const file = source.secretKeyFile ?? defaultKeyFile(source.sqliteFile);
  if (file === undefined) {
    throw new ConfigError(
      `PostgreSQL needs a server key shared by every instance: set PORTCULLIS_SECRET_KEY or secret_key_file to ${HOW_TO_MAKE_ONE}`,
    );
  }
  const text = readIfExists(file);
  if (text !== undefined) return parse(text, `secret_key_file ${file}`);
  if (databaseHasKey || source.secretKeyFile !== undefined) {
    throw new ConfigError(
      `the server key file ${file} is missing${databaseHasKey ? ', and this database was set up with a server key' : ''}: restore it, or set PORTCULLIS_SECRET_KEY`,
    );
  }
  return create(file);
}

/** The default key file: beside the SQLite database. */
function defaultKeyFile(sqliteFile: string | undefined): string | undefined {
  return sqliteFile === undefined ? undefined : join(dirname(sqliteFile), 'portcullis.key');
}

function create(file: string): Buffer {
  const key = generateServerKey();
  try {
    // `wx`: if another process created it a moment ago, read theirs instead.
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new ConfigError(`secret_key_file ${file} cannot be written: ${(error as Error).message}`);
    return parse(readFileSync(file, 'utf8'), `secret_key_file ${file}`);
  }
  return parse(key, file);
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`secret_key_file ${file} cannot be read: ${(error as Error).message}`);
  }
}

function parse(text: string, label: string): Buffer {
  const key = parseServerKey(text);
  if (key === undefined) throw new ConfigError(`${label} must be ${HOW_TO_MAKE_ONE}`);
  return key;
}

function describe(source: ServerKeySource): string {
  if (source.secretKey !== undefined) return 'PORTCULLIS_SECRET_KEY';
  return `file ${source.secretKeyFile ?? defaultKeyFile(source.sqliteFile)}`;
}
