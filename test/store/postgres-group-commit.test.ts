import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { run } from '../../src/store/sql/operation.ts';
import { sql } from '../../src/store/sql/statement.ts';
import { createTestDatabase, createTestSchema, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { client, grant, type Grant, NOW, saveGrant, successors } from './contract-fixtures.ts';

/**
 * The PostgreSQL store commits the hot writes of concurrent requests in groups
 * (src/store/postgres/group-commit.ts): these tests hold it to what a caller of one write sees.
 */
if (await requirePostgres('PostgreSQL group commit')) {
  let database: TestDatabase;
  let schemas = 0;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  /** The store's sessions wait this long on a lock before they look for a deadlock (PostgreSQL's default is 1s). */
  const WRITER_DEADLOCK_TIMEOUT = '3s';

  async function fresh(deadlockTimeout?: string): Promise<{ url: string; store: PostgresStore; clientId: string; close: () => Promise<void> }> {
    const url = await createTestSchema(database.url, `group_${++schemas}`);
    const store = new PostgresStore(deadlockTimeout === undefined ? url : withSetting(url, 'deadlock_timeout', deadlockTimeout), { maxConnections: 4 });
    await store.migrate();
    const app = client({ refreshLimit: 1 });
    await store.createClient(app);
    return { url, store, clientId: app.id, close: () => store.close() };
  }

  /** `url` whose sessions start with `name` set to `value` (as createTestSchema sets the search path). */
  function withSetting(url: string, name: string, value: string): string {
    const withIt = new URL(url);
    withIt.searchParams.set('options', `${withIt.searchParams.get('options') ?? ''} -c ${name}=${value}`.trim());
    return withIt.toString();
  }

  /** How many transactions wrote these families (each row's xmin is the transaction that inserted it). */
  async function transactionsOf(url: string, familyIds: string[]): Promise<number> {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>('SELECT count(DISTINCT xmin::text)::int AS n FROM token_families WHERE id = ANY($1)', [familyIds]);
      return rows[0]!.n;
    } finally {
      await admin.end();
    }
  }

  /**
   * Ends the connections the store holds (as a crash or a failover would), from outside: only
   * those to this test's own database, never another test's on the same server.
   */
  async function killConnections(url: string, condition = "application_name = 'portcullis'"): Promise<number> {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${condition} AND datname = current_database() AND pid <> pg_backend_pid()`);
      return rows.length;
    } finally {
      await admin.end();
    }
  }

  describe('PostgreSQL group commit', () => {
    it('many concurrent grants all succeed, persist, and share commits', async () => {
      const { url, store, clientId, close } = await fresh();
      try {
        const grants = Array.from({ length: 200 }, () => grant(clientId, null));
        await Promise.all(grants.map((g) => saveGrant(store, g)));
        const transactions = await transactionsOf(url, grants.map((g) => g.family.id));
        assert.ok(transactions < grants.length / 4, `200 grants asked for at once took ${transactions} transactions`);
        const reader = new PostgresStore(url, { maxConnections: 2 });
        try {
          for (const g of grants) {
            assert.equal((await reader.findToken(g.access.hash))?.familyId, g.family.id);
            assert.equal((await reader.findToken(g.refresh.hash))?.familyId, g.family.id);
          }
        } finally {
          await reader.close();
        }
      } finally {
        await close();
      }
    });

    it('a duplicate key fails only its own write; the others of its group persist', async () => {
      const { store, clientId, close } = await fresh();
      try {
        const taken = await saveGrant(store, grant(clientId, null));
        const others = Array.from({ length: 20 }, () => grant(clientId, null));
        const clash = grant(clientId, null);
        const writes = [
          ...others.slice(0, 10).map((g) => saveGrant(store, g)),
          store.saveFamily(clash.family, [clash.access, { ...clash.refresh, hash: taken.refresh.hash }]),
          ...others.slice(10).map((g) => saveGrant(store, g)),
        ];
        const settled = await Promise.allSettled(writes);
        assert.deepEqual(
          settled.map((result) => result.status),
          [...Array(10).fill('fulfilled'), 'rejected', ...Array(10).fill('fulfilled')],
        );
        for (const g of others) assert.ok(await store.findToken(g.access.hash));
        // Nothing of the failed write remains: not its family, not its access token.
        assert.equal(await store.findFamily(clash.family.id), undefined);
        assert.equal(await store.findToken(clash.access.hash), undefined);
      } finally {
        await close();
      }
    });

    it('a replayed refresh token and a refresh past its limit settle alone, in a group with other writes', async () => {
      const { store, clientId, close } = await fresh();
      try {
        const replayed = await saveGrant(store, grant(clientId, 'alice'));
        const limited = await saveGrant(store, grant(clientId, 'bob'));
        // The client allows one refresh per family: use it up.
        const first = successors(limited, NOW + 1);
        assert.equal(await store.rotateRefreshToken({ presentedHash: limited.refresh.hash, now: NOW + 1, refreshLimit: 1, newTokens: first }), 'rotated');
        const limitedAgain = first.find((token) => token.kind === 'refresh')!;

        const others = Array.from({ length: 10 }, () => grant(clientId, null));
        const rotation = (g: Grant, hash: string, at: number) =>
          store.rotateRefreshToken({ presentedHash: hash, now: at, refreshLimit: 1, newTokens: successors(g, at) });
        const [a, b, overLimit, ...rest] = await Promise.all([
          rotation(replayed, replayed.refresh.hash, NOW + 2),
          rotation(replayed, replayed.refresh.hash, NOW + 2),
          rotation(limited, limitedAgain.hash, NOW + 2),
          ...others.map((g) => saveGrant(store, g)),
        ]);
        // One winner; the replay is seen as such (the caller then revokes the family).
        assert.deepEqual([a, b].sort(), ['already_rotated', 'rotated']);
        assert.equal(overLimit, 'limit_reached');
        assert.equal(rest.length, others.length);
        for (const g of others) assert.ok(await store.findToken(g.access.hash));
        // The refused refresh was undone alone: its token is still unrotated, its family counted once.
        assert.equal((await store.findToken(limitedAgain.hash))?.rotatedAt, null);
        assert.equal((await store.findFamily(limited.family.id))?.refreshCount, 1);
      } finally {
        await close();
      }
    });

    it('a connection lost mid-group answers none of its writes, and the store carries on', async () => {
      const { url, store, clientId, close } = await fresh();
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      try {
        const held = await saveGrant(store, grant(clientId, 'carol'));
        // Another session holds the refresh token's row, so the group that rotates it waits there.
        // (Tokens are keyed by their digest's 32 bytes, migration 0014.)
        await locker.query('BEGIN');
        await locker.query('SELECT hash FROM tokens WHERE hash = $1 FOR UPDATE', [Buffer.from(held.refresh.hash, 'base64url')]);
        const grants = Array.from({ length: 10 }, () => grant(clientId, null));
        let answered = 0;
        const writes = [
          store.rotateRefreshToken({ presentedHash: held.refresh.hash, now: NOW + 1, refreshLimit: null, newTokens: successors(held, NOW + 1) }),
          ...grants.map((g) => saveGrant(store, g)),
        ].map((write) =>
          write.then(
            () => answered++,
            () => 'refused' as const,
          ),
        );
        const waiting = "application_name = 'portcullis' AND wait_event_type = 'Lock'";
        for (let tries = 0; (await killConnections(url, waiting)) === 0; tries++) {
          assert.ok(tries < 100, 'the group never waited on the lock');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.deepEqual(await Promise.all(writes), Array(writes.length).fill('refused'));
        assert.equal(answered, 0);
        await locker.query('ROLLBACK');
        for (const g of grants) assert.equal(await store.findFamily(g.family.id), undefined);
        assert.equal((await store.findToken(held.refresh.hash))?.rotatedAt, null);
        // The pool replaced the lost connection.
        const after = await saveGrant(store, grant(clientId, null));
        assert.ok(await store.findToken(after.access.hash));
      } finally {
        await locker.end();
        await close();
      }
    });

    it('no acknowledged write is lost when connections are killed while writes stream in', async () => {
      const { url, store, clientId, close } = await fresh();
      try {
        const acknowledged: Grant[] = [];
        let refused = 0;
        const writes: Promise<void>[] = [];
        for (let wave = 0; wave < 20; wave++) {
          for (let i = 0; i < 15; i++) {
            const g = grant(clientId, null);
            writes.push(
              saveGrant(store, g).then(
                () => void acknowledged.push(g),
                () => void refused++,
              ),
            );
          }
          if (wave % 4 === 1) await killConnections(url);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(writes);
        assert.equal(acknowledged.length + refused, 300);
        assert.ok(acknowledged.length > 0);
        const reader = new PostgresStore(url, { maxConnections: 2 });
        try {
          for (const g of acknowledged) assert.ok(await reader.findToken(g.refresh.hash), 'an acknowledged grant is missing');
        } finally {
          await reader.close();
        }
      } finally {
        await close();
      }
    });

    it('a write that loses a deadlock, in its group and again alone, is run again and succeeds', async () => {
      const { url, store, close } = await fresh(WRITER_DEADLOCK_TIMEOUT);
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      // PostgreSQL aborts the session whose deadlock check runs first once the cycle exists: the
      // store's, whose check comes WRITER_DEADLOCK_TIMEOUT after it starts waiting (time enough
      // for this test to close the cycle on a loaded machine), never the locker's.
      await locker.query("SET deadlock_timeout = '10min'");
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      // Counters of one user and address, taken in opposite orders by two transactions (as two
      // groups in flight can): PostgreSQL aborts one statement of the cycle as a deadlock.
      const upsert = sql(
        'INSERT INTO throttle_counters (key, points, expire) VALUES (:key, 1, NULL) ON CONFLICT (key) DO UPDATE SET points = throttle_counters.points + 1',
      );
      const blocked = async (times: number) => {
        for (let tries = 0; ; tries++) {
          const { rows } = await admin.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'portcullis' AND wait_event_type = 'Lock' AND datname = current_database()",
          );
          if ((rows[0] as { n: number }).n >= times) return;
          assert.ok(tries < 250, 'the write never waited on the lock');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      try {
        await locker.query('BEGIN');
        await locker.query("INSERT INTO throttle_counters (key, points) VALUES ('second', 1)");
        const write = store['driver'].hot.atomic(function* () {
          yield* run(upsert, { key: 'zero' });
          yield* run(upsert, { key: 'first' });
          yield* run(upsert, { key: 'second' });
          return 'written';
        });
        const settled = write.then(
          (value) => value,
          (error: unknown) => error,
        );
        // 1. The group waits for 'second'; the locker then waits for its 'first': the group loses.
        await blocked(1);
        const lockerFirst = locker.query("INSERT INTO throttle_counters (key, points) VALUES ('first', 1)");
        // 2. Run alone, the write holds 'zero' and waits for the locker's 'first'; the locker then
        //    waits for 'zero': the write loses again, inside its savepoint.
        await lockerFirst;
        await blocked(1);
        const lockerZero = locker.query("INSERT INTO throttle_counters (key, points) VALUES ('zero', 1)");
        await lockerZero;
        // 3. Run once more, it waits for the locker, which commits: the write goes through.
        await blocked(1);
        await locker.query('COMMIT');
        assert.equal(await settled, 'written');
        const { rows } = await locker.query('SELECT key, points FROM throttle_counters ORDER BY key');
        assert.deepEqual(rows, [
          { key: 'first', points: 2 },
          { key: 'second', points: 2 },
          { key: 'zero', points: 2 },
        ]);
      } finally {
        await admin.end();
        await locker.end();
        await close();
      }
    });
  });
}
