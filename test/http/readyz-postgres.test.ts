import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.ts';

const withPostgres = await requirePostgres('readiness on PostgreSQL');

describe('GET /readyz on PostgreSQL', () => {
  if (!withPostgres) return;

  it('is 200 while the database answers and 503 once it is gone; /healthz stays 200; /metrics shows the pool', async () => {
    const database = await createTestDatabase();
    const config = loadConfig(
      { databaseUrl: database.url, port: 0, config: '/dev/null' },
      { ...database.env, PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests', PORTCULLIS_PURGE_INTERVAL: '0' },
    );
    const app = await createApp(config, { logDestination: pino.destination('/dev/null') });
    try {
      await app.server.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.server.address() as AddressInfo).port}`;
      assert.equal(app.store.kind, 'postgres');
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^portcullis_db_pool_connections\{state="total"\} [1-9]\d*$/m, 'the pool gauge reports open connections');
      assert.match(metrics, /^portcullis_db_pool_connections\{state="waiting"\} 0$/m);

      await database.drop();
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: 'unavailable' });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
