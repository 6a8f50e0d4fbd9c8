import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { systemClock } from '../../src/core/clock.ts';
import type { TokenRecord } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';

/**
 * The token writes of client-credentials grants on the real PostgresStore (pool and driver as
 * shipped, default pool), from `--concurrency` loops that each save one grant after another for
 * `--seconds`: grants per second, this process's CPU per grant, and grants per transaction (the
 * distinct inserting transactions of the families written). The store seam only, no HTTP.
 * Usage: tsx bench/micro/postgres-writes.ts [--concurrency 32] [--seconds 5]
 */
const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '32' }, seconds: { type: 'string', default: '5' } } });
const adminUrl = process.env.PORTCULLIS_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `portcullis_micro_${randomBytes(4).toString('hex')}`;
const admin = async (statement: string) => {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(statement);
  } finally {
    await client.end();
  }
};
await admin(`CREATE DATABASE ${name}`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const store = new PostgresStore(url.toString());
try {
  await store.migrate();
  const { client } = await registerClient(store, systemClock, { name: 'micro', type: 'confidential', grants: ['client_credentials'] });
  const families: string[] = [];
  const saveOne = async () => {
    const now = Math.floor(Date.now() / 1000);
    const family = { id: randomUUID(), clientId: client.id, username: null, scope: [], refreshCount: 0, createdAt: now, revokedAt: null, authentication: null };
    const token: TokenRecord = {
      hash: hashSecret(generateSecret()),
      kind: 'access',
      familyId: family.id,
      clientId: client.id,
      username: null,
      scope: [],
      issuedAt: now,
      expiresAt: now + 3600,
      revokedAt: null,
      rotatedAt: null,
    };
    await store.saveFamily(family, [token]);
    families.push(family.id);
  };
  for (let i = 0; i < 200; i++) await saveOne();
  families.length = 0;
  const deadline = performance.now() + Number(values.seconds) * 1000;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async () => {
      while (performance.now() < deadline) await saveOne();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const check = new pg.Client({ connectionString: url.toString() });
  await check.connect();
  const { rows } = await check.query<{ n: number }>('SELECT count(DISTINCT xmin::text)::int AS n FROM token_families WHERE id = ANY($1)', [families]);
  await check.end();
  console.log(
    `${families.length} grants in ${elapsed.toFixed(1)} s: ${(families.length / elapsed).toFixed(0)} grants/s, ` +
      `${((used.user + used.system) / families.length).toFixed(0)} µs CPU/grant, ${(families.length / rows[0]!.n).toFixed(1)} grants per transaction`,
  );
} finally {
  await store.close();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
