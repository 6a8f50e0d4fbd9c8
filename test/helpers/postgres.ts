import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { requireService } from './services.ts';

/** The server the tests use: the machine's own PostgreSQL, trust auth (override with PORTCULLIS_TEST_PG). */
export const TEST_PG_URL = process.env.PORTCULLIS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server key every test instance on PostgreSQL shares, as a cluster's instances do (docs/security.md). */
export const TEST_SECRET_KEY = randomBytes(32).toString('base64url');

export interface TestDatabase {
  name: string;
  url: string;
  /** What a server process needs to run on it: the URL and the cluster's shared server key. */
  env: { PORTCULLIS_DATABASE_URL: string; PORTCULLIS_SECRET_KEY: string };
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Whether the test PostgreSQL answers; the reason when it does not. */
export async function postgresReachable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await admin((client) => client.query('SELECT 1'));
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message || String(error) };
  }
}

/**
 * Whether the PostgreSQL tests of `suite` run: under CI an unreachable server is a failure (thrown
 * at load, so the run goes red); on a developer's machine they are counted as skipped, with the reason.
 */
export async function requirePostgres(suite: string): Promise<boolean> {
  const reachable = await postgresReachable();
  return requireService(
    suite,
    reachable.ok
      ? reachable
      : {
          ok: false,
          problem: `PostgreSQL at ${TEST_PG_URL} is unreachable (${reachable.reason})`,
          remedy: 'Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set PORTCULLIS_TEST_PG.',
        },
  );
}

/** A new, empty database named portcullis_test_<random>, dropped (with its connections) afterwards. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `portcullis_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    env: { PORTCULLIS_DATABASE_URL: url.toString(), PORTCULLIS_SECRET_KEY: TEST_SECRET_KEY },
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Creates a schema in the database and returns a URL whose connections use it. */
export async function createTestSchema(databaseUrl: string, schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}
