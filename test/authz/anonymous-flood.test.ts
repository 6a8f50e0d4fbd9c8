import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../../src/authz/audit-log.ts';
import type { AuditEvent } from '../../src/core/audit.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';

/** Hardening (docs/security.md#audit-log): anonymous requests must not grow the database by a row each. */
describe('a flood of random client ids', () => {
  let server: TestServer;

  before(async () => {
    // A purge job that exists (for runOnce) but whose first run is a day away.
    server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1', PORTCULLIS_PURGE_INTERVAL: '86400', PORTCULLIS_AUDIT_MAX_RECORDS: '10' } });
  });
  after(() => server.close());

  const rows = (table: string) => {
    const db = new Database(server.dbPath, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const anonymous = (ip: string) =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, {
      basic: [randomUUID(), 'guessed-secret'],
      headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' },
    });

  test('500 unknown client ids from one address: a handful of counter and audit rows, then one summary', async () => {
    await server.app.ctx.audit.flush();
    const [countersBefore, auditBefore] = [rows('throttle_counters'), rows('audit_log')];
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => anonymous('198.51.100.66')));
      statuses.push(...answers.map((answer) => answer.status));
    }
    // Unknown ids share one counter per address: blocked like guessing one client's secret.
    assert.equal(statuses.filter((status) => status === 401).length >= 10, true);
    assert.ok(statuses.filter((status) => status === 429).length >= 400);
    await server.app.ctx.audit.flush();
    assert.ok(rows('throttle_counters') - countersBefore <= 2, `${rows('throttle_counters') - countersBefore} counter rows`);
    const added = rows('audit_log') - auditBefore;
    assert.ok(added <= 20, `${added} audit rows for 500 requests`);

    // After the minute, the rest is one record per type.
    server.clock.advance(61);
    await anonymous('198.51.100.66');
    await server.app.ctx.audit.flush();
    const summaries = (await server.app.store.listAudit({ limit: 100, type: 'flood.summarised' })).filter((record) => record.ip === '198.51.100.66');
    const count = (type: string) => summaries.find((record) => record.detail?.type === type)?.detail?.count;
    assert.equal(count('client_auth.throttled'), statuses.filter((status) => status === 429).length);
  });

  test('the purge keeps the audit log within its size setting', async () => {
    await server.app.ctx.audit.flush();
    assert.ok(rows('audit_log') > 10);
    const newest = (await server.app.store.listAudit({ limit: 1 }))[0]!.id;
    await server.app.purge!.runOnce();
    assert.ok(rows('audit_log') <= 10, `${rows('audit_log')} records kept`);
    // The newest survive.
    assert.equal((await server.app.store.listAudit({ limit: 1 }))[0]?.id, newest);
  });
});

describe('audit retention by age', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_PURGE_INTERVAL: '86400', PORTCULLIS_AUDIT_MAX_AGE_DAYS: '30' } });
  });
  after(() => server.close());

  test('records older than audit.max_age_days are pruned by the purge job', async () => {
    await server.user('old-news', 'old-news-password');
    server.clock.advance(31 * 86_400);
    await server.user('fresh', 'fresh-password-1');
    await server.app.purge!.runOnce();
    const left = (await server.app.store.listAudit({ limit: 100, type: 'user.created' })).map((record) => record.username);
    assert.deepEqual(left, ['fresh']);
  });
});

test('flood windows are bounded in memory: beyond maxAddresses, addresses share one bucket', async () => {
  const written: AuditEvent[] = [];
  const log = new AuditLog({ appendAudit: async (events) => void written.push(...events), listAudit: async () => [], pruneAudit: async () => 0 }, undefined, 1000, 100_000, {
    windowSeconds: 60,
    individually: 2,
    maxAddresses: 3,
  });
  for (let i = 0; i < 100; i++) log.record({ at: 1000, type: 'client_auth.failed', ip: `10.0.0.${i}`, reason: 'unknown_client' });
  await log.flush(true);
  // One event from each of the 3 tracked addresses, 2 from the shared bucket, and its summary.
  assert.equal(written.filter((event) => event.type === 'client_auth.failed').length, 5);
  const summary = written.filter((event) => event.type === 'flood.summarised');
  assert.equal(summary.length, 1);
  assert.equal(summary[0]!.ip, null);
  assert.equal(summary[0]!.detail?.count, 97);
});
