import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { ConnectionPool, PoolExhausted } from '../../src/directory/connection-pool.ts';

interface Conn {
  id: number;
  open: boolean;
}

class Broken extends Error {}

/** A pool of plain objects: the pool's own logic, without a server (the LDAP suites use real ones). */
function pool(max: number, options: { failCreate?: () => boolean; idleMs?: number } = {}) {
  let next = 0;
  const created: Conn[] = [];
  const destroyed: number[] = [];
  const p = new ConnectionPool<Conn>({
    max,
    async create() {
      if (options.failCreate?.()) throw new Error('cannot connect');
      const connection = { id: ++next, open: true };
      created.push(connection);
      return connection;
    },
    destroy: (connection) => {
      connection.open = false;
      destroyed.push(connection.id);
    },
    usable: (connection) => connection.open,
    broken: (error) => error instanceof Broken,
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
  });
  return { p, created, destroyed };
}

const soon = (ms = 2_000) => performance.now() + ms;

describe('the directory connection pool', () => {
  it('reuses an idle connection instead of opening another', async () => {
    const { p, created } = pool(2);
    assert.equal(await p.use(soon(), async (c) => c.id), 1);
    assert.equal(await p.use(soon(), async (c) => c.id), 1);
    assert.equal(created.length, 1);
    assert.deepEqual(p.stats(), { total: 1, idle: 1, waiting: 0 });
  });

  it('never opens more than its bound; the next caller waits for a connection to come back', async () => {
    const { p, created } = pool(2);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const busy = [p.use(soon(), () => held), p.use(soon(), () => held)];
    const third = p.use(soon(), async (c) => c.id);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(p.stats(), { total: 2, idle: 0, waiting: 1 });
    release();
    await Promise.all(busy);
    assert.ok([1, 2].includes(await third));
    assert.equal(created.length, 2);
  });

  it('a full pool does not block forever: the waiter fails at its deadline', async () => {
    const { p } = pool(1);
    let release!: () => void;
    const busy = p.use(soon(), () => new Promise<void>((resolve) => (release = resolve)));
    await assert.rejects(p.use(performance.now() + 30, async () => 'never'), PoolExhausted);
    assert.equal(p.stats().waiting, 0, 'the timed-out waiter left the line');
    release();
    await busy;
    assert.equal(await p.use(soon(), async () => 'after'), 'after');
  });

  it('closes a connection whose work broke it; a failure that is only an answer keeps it', async () => {
    const { p } = pool(2);
    await assert.rejects(p.use(soon(), async () => {
      throw new Error('an answer, not a broken connection');
    }));
    assert.deepEqual(p.stats(), { total: 1, idle: 1, waiting: 0 });
    const fresh = pool(2);
    await assert.rejects(
      fresh.p.use(soon(), async (c) => {
        // A fresh connection that breaks is not tried again: the server is the trouble, not the connection's age.
        if (c.id === 1) throw new Broken('socket closed');
        return c.id;
      }),
      Broken,
    );
    assert.deepEqual(fresh.destroyed, [1]);
    assert.deepEqual(fresh.p.stats(), { total: 0, idle: 0, waiting: 0 });
  });

  it('work that breaks a reused (idle) connection is tried once more on a fresh one', async () => {
    const { p, destroyed } = pool(2);
    await p.use(soon(), async () => undefined);
    const seen: number[] = [];
    const result = await p.use(soon(), async (c) => {
      seen.push(c.id);
      if (c.id === 1) throw new Broken('the server closed the idle connection');
      return c.id;
    });
    assert.equal(result, 2);
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(destroyed, [1]);
  });

  it('drops idle connections that closed or sat too long', async () => {
    const { p, created } = pool(2, { idleMs: 0 });
    await p.use(soon(), async () => undefined);
    await p.use(soon(), async () => undefined);
    assert.equal(created.length, 2, 'an idle connection past idleMs is not reused');
    const { p: q, created: made } = pool(2);
    await q.use(soon(), async (c) => (c.open = false));
    await q.use(soon(), async () => undefined);
    assert.equal(made.length, 2, 'a closed one is not reused either');
  });

  it('a connection that cannot be opened frees its slot for the next caller', async () => {
    let fail = true;
    const { p } = pool(1, { failCreate: () => fail });
    await assert.rejects(p.use(soon(), async () => undefined), /cannot connect/);
    fail = false;
    assert.equal(await p.use(soon(), async () => 'ok'), 'ok');
    assert.deepEqual(p.stats(), { total: 1, idle: 1, waiting: 0 });
  });

  it('once closed, refuses work and closes what comes back', async () => {
    const { p, destroyed } = pool(1);
    await p.use(soon(), async () => undefined);
    p.close();
    assert.deepEqual(destroyed, [1]);
    await assert.rejects(p.use(soon(), async () => undefined), PoolExhausted);
  });
});
