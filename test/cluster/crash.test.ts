import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.ts';
import { Argon2Hasher } from '../../src/core/password-hash.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { createUser } from '../../src/manage/users.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.ts';
import { startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';

const WORKERS = 4;
const RECEIVED_BEFORE_KILL = 40;

/**
 * Nothing acknowledged is lost: password grants stream in from several clients, the instance is
 * killed with SIGKILL mid-stream, and after a restart every token that any client received is live.
 */
async function crashAndCheck(store: Store, env: Record<string, string>): Promise<void> {
  const { client, secret } = await registerClient(store, systemClock, { name: 'crash-app', type: 'confidential', grants: ['password', 'refresh_token'] });
  await createUser(store, new Argon2Hasher(), systemClock, { username: 'alice', password: 'correct horse battery' });
  await store.close();
  const basic: [string, string] = [client.id, secret!];

  const first = await startServerProcess(env);
  const received: string[] = [];
  let killed = false;
  let lostInFlight = 0;
  let kill!: () => void;
  const enough = new Promise<void>((resolve) => (kill = resolve));

  const worker = async () => {
    while (!killed) {
      try {
        const answer = await postForm(
          `${first.url}/oauth/token`,
          { grant_type: 'password', username: 'alice', password: 'correct horse battery' },
          { basic },
        );
        assert.equal(answer.status, 200, answer.text);
        received.push(answer.body.access_token as string, answer.body.refresh_token as string);
        if (received.length >= RECEIVED_BEFORE_KILL * 2) kill();
      } catch (error) {
        if (!killed) throw error;
        lostInFlight++;
      }
    }
  };
  const workers = Promise.all(Array.from({ length: WORKERS }, worker));
  // A worker that fails before the kill ends the wait (else it would wait for the test timeout).
  await Promise.race([enough, workers]);
  killed = true;
  await first.kill9();
  await workers;
  assert.equal(first.child.signalCode, 'SIGKILL');

  const second = await startServerProcess(env);
  try {
    const inactive: number[] = [];
    for (const [index, token] of received.entries()) {
      const answer = await postForm(`${second.url}/oauth/introspect`, { token }, { basic });
      if (answer.body.active !== true) inactive.push(index);
    }
    assert.deepEqual(inactive, [], `of ${received.length} tokens received (${lostInFlight} requests were in flight at the kill)`);
  } finally {
    await second.stop();
  }
}

const withPostgres = await requirePostgres('crash test on PostgreSQL');

describe('kill -9 under a stream of password grants loses nothing acknowledged', () => {
  it('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-crash-'));
    const path = join(dir, 'portcullis.db');
    try {
      const store = new SqliteStore(path);
      await store.migrate();
      await crashAndCheck(store, { PORTCULLIS_DB: path });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  if (withPostgres) {
    it('PostgreSQL', async () => {
      const database = await createTestDatabase();
      try {
        const store = new PostgresStore(database.url);
        await store.migrate();
        await crashAndCheck(store, database.env);
      } finally {
        await database.drop();
      }
    });
  }
});
