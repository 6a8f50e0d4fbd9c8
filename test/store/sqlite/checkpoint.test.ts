import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ManualClock } from '../../../src/core/clock.ts';
import type { TokenFamily, TokenRecord } from '../../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../../src/core/secrets.ts';
import { registerClient } from '../../../src/manage/clients.ts';
import { AUTO_CHECKPOINT_PAGES } from '../../../src/store/sqlite/background-checkpointer.ts';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';

const NOW = 1_000_000;
const PAGE = 4096;
const LIMIT_PAGES = 256;

function family(clientId: string): [TokenFamily, TokenRecord[]] {
  const id = randomUUID();
  const base = { familyId: id, clientId, username: null, scope: ['read', 'write'], issuedAt: NOW, revokedAt: null, rotatedAt: null };
  return [
    { id, clientId, username: null, scope: ['read', 'write'], refreshCount: 0, createdAt: NOW, revokedAt: null },
    [
      { ...base, hash: hashSecret(generateSecret()), kind: 'access', expiresAt: NOW + 3600 },
      { ...base, hash: hashSecret(generateSecret()), kind: 'refresh', expiresAt: NOW + 86_400 },
    ],
  ];
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** The WAL header's first salt: it changes each time the WAL starts over from its first frame. */
function walSaltOf(path: string): number | undefined {
  const wal = `${path}-wal`;
  if (sizeOf(wal) < 32) return undefined;
  const header = Buffer.alloc(32);
  const fd = openSync(wal, 'r');
  try {
    readSync(fd, header, 0, 32, 0);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(16);
}

describe('SQLite WAL checkpoints (background-checkpointer.ts)', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;
  let clientId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-checkpoint-'));
    path = join(dir, 'db.sqlite');
    store = new SqliteStore(path, { intervalMs: 10, limitPages: LIMIT_PAGES });
    await store.migrate();
    clientId = (await registerClient(store, new ManualClock(), { name: 'c', type: 'confidential', grants: ['client_credentials'] })).client.id;
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the WAL bounded under constant writes, with no checkpoint on the event loop', async () => {
    const walSize = () => sizeOf(`${path}-wal`);
    const walSalt = () => walSaltOf(path);
    let largestWal = 0;
    let restarts = 0;
    let salt = walSalt();
    // Writes without a pause (each group queued as soon as the one before is committed, about
    // 150 WAL pages each) until the database holds 48 times the WAL's limit: 10 to 15 times that
    // went through the WAL.
    const target = 48 * LIMIT_PAGES * PAGE;
    for (let group = 0; group < 4000 && statSync(path).size < target; group++) {
      await Promise.all(Array.from({ length: 100 }, () => store.saveFamily(...family(clientId))));
      largestWal = Math.max(largestWal, walSize());
      const now = walSalt();
      if (now !== salt) restarts++;
      salt = now;
    }
    assert.ok(statSync(path).size >= target, 'the checkpoints copied the writes into the database');
    // Bounded: the WAL starts over again and again, and stays smaller than what went into the
    // database (a WAL that never starts over holds all of it, and more). How far past its limit it
    // goes depends on how fast writes come while a checkpoint runs; this writer is many times faster
    // than a server answering requests.
    assert.ok(restarts >= 10, `the WAL started over ${restarts} times`);
    // The hold on writes ends by itself after 500 ms should the thread not answer, so a thread starved
    // of CPU (a loaded test machine: 56 and 113 MB were seen) lets the WAL overshoot its limit for a
    // while; the restarts above are what shows it bounded, this only catches a runaway.
    assert.ok(largestWal < 3 * target, `the WAL reached ${largestWal} bytes`);
    // The server's own connection never checkpoints while the thread runs.
    assert.equal(store['db'].pragma('wal_autocheckpoint', { simple: true }), 0);
    // The holds that bounded it are counted, for bench/micro/checkpoint-holds.ts.
    const { holds, heldMs, longestHoldMs } = store.checkpointStatistics();
    assert.ok(holds > 0, 'the writes were held for the WAL to start over');
    assert.ok(heldMs >= longestHoldMs && longestHoldMs > 0);
  });

  it('checkpoints on its own connection again once the thread is gone, and starts no other', async () => {
    const checkpointer = store['checkpointer'];
    const worker = checkpointer['worker']!;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // As if the thread had died: its exit is all the store sees.
    await worker.terminate();
    await exited;
    assert.equal(store['db'].pragma('wal_autocheckpoint', { simple: true }), 10_000);
    await store.saveFamily(...family(clientId));
    assert.equal(checkpointer['worker'], undefined);
  });
});

/**
 * Another writer on the file, as another worker's process is one: a thread with its own
 * connection, set as a store without the checkpoint thread sets its own, which writes about `pages` pages in transactions of ten pages, a millisecond apart, and
 * says how often the WAL started over and how long it grew.
 */
const OTHER_WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, readSync, statSync } = require('node:fs');
const Database = require('better-sqlite3');
const db = new Database(workerData.path);
db.pragma('wal_autocheckpoint = ' + workerData.autoCheckpoint);
db.exec('CREATE TABLE IF NOT EXISTS other_writes (data BLOB)');
const insert = db.prepare('INSERT INTO other_writes VALUES (randomblob(3500))');
const tenPages = db.transaction(() => { for (let i = 0; i < 10; i++) insert.run(); });
const header = Buffer.alloc(32);
const salt = () => { const fd = openSync(workerData.path + '-wal', 'r'); try { readSync(fd, header, 0, 32, 0); } finally { closeSync(fd); } return header.readUInt32BE(16); };
const pause = new Int32Array(new SharedArrayBuffer(4));
let restarts = 0, largestWal = 0, last = undefined;
for (let written = 0; written < workerData.pages; written += 10) {
  // A millisecond between transactions, as a server's event loop has other work between its groups.
  Atomics.wait(pause, 0, 0, 1);
  tenPages();
  const now = salt();
  if (last !== undefined && now !== last) restarts++;
  last = now;
  largestWal = Math.max(largestWal, statSync(workerData.path + '-wal').size);
}
db.close();
parentPort.postMessage({ restarts, largestWal });
`;


describe('SQLite WAL checkpoints with several processes on one file (serve --workers)', () => {
  let dir: string;
  let path: string;
  let checkpointing: SqliteStore;
  let clientId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-checkpoint-workers-'));
    path = join(dir, 'db.sqlite');
    // Worker 1's store, which runs the checkpoint thread; its hold on writes reaches only its own.
    checkpointing = new SqliteStore(path, { intervalMs: 10, limitPages: LIMIT_PAGES });
    await checkpointing.migrate();
    clientId = (await registerClient(checkpointing, new ManualClock(), { name: 'c', type: 'confidential', grants: ['client_credentials'] })).client.id;
  });
  after(async () => {
    await checkpointing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the WAL bounded when every write comes from another process than the one that runs the checkpoint thread', async () => {
    // One write starts worker 1's thread; from then on only the other writer writes, without a pause.
    await checkpointing.saveFamily(...family(clientId));
    // The other worker's connection checkpoints by itself only far past the thread's limit.
    const other = new SqliteStore(path, { backgroundCheckpoint: false });
    const autoCheckpoint = other['db'].pragma('wal_autocheckpoint', { simple: true }) as number;
    await other.close();
    assert.ok(autoCheckpoint > AUTO_CHECKPOINT_PAGES);
    const pages = 48 * LIMIT_PAGES;
    const writer = new Worker(OTHER_WRITER, { eval: true, workerData: { path, pages, autoCheckpoint } });
    const { restarts, largestWal } = await new Promise<{ restarts: number; largestWal: number }>((resolve, reject) => {
      writer.once('message', resolve);
      writer.once('error', reject);
    });
    // The thread takes SQLite's write lock for its held checkpoint, so the other writer waits too and
    // the WAL starts over although worker 1 writes nothing. Without it, frames arrive during every
    // checkpoint and the WAL holds all that was written.
    assert.ok(restarts >= 10, `the WAL started over ${restarts} times`);
    assert.ok(largestWal < (pages * PAGE) / 2, `the WAL reached ${largestWal} bytes`);
  });
});
