// Runs in a worker thread (see background-checkpointer.ts): WAL checkpoints on a connection of its
// own, so that the page copying and fsyncs stay off the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path, { fileMustExist: true });
// As the server's connection: a checkpoint fsyncs the WAL before copying and the database after.
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
// Holds SQLite's write lock while a held checkpoint runs, so that the writes of every process on
// the file wait, not only the server's (a connection cannot checkpoint inside its own transaction).
// It waits for the lock a little less than the server's hold lasts (HOLD_TIMEOUT_MS).
const lock = new Database(workerData.path, { fileMustExist: true, timeout: 400 });
parentPort.postMessage({ type: 'ready' });

/** One passive checkpoint: `log` frames in the WAL, `checkpointed` of them copied (-1 each when busy). */
function passive() {
  try {
    return checkpoint.get();
  } catch {
    // Busy (another connection is checkpointing): the next tick tries again.
    return undefined;
  }
}

let holding = false;
/** The WAL's length after the last held checkpoint: until a write adds to it, the WAL is wholly copied. */
let copiedWhileHeld;
setInterval(() => {
  if (holding) return;
  const result = passive();
  // The WAL has not started over for too long: frames arrive during every checkpoint (`log` counts
  // those before it began). Ask the server to hold its writes.
  if (result && result.log >= workerData.limitPages && result.log !== copiedWhileHeld) {
    holding = true;
    parentPort.postMessage({ type: 'hold' });
  }
}, workerData.intervalMs);

parentPort.on('message', (message) => {
  if (message.type !== 'held') return;
  // Nothing of the server's is writing now; with the write lock, nothing of another process's
  // either (`serve --workers`: the other workers wait in their busy handlers). This copies what is
  // left, and the next write transaction, whoever makes it, finds the WAL wholly copied and starts it over.
  let locked = false;
  try {
    lock.exec('BEGIN IMMEDIATE');
    locked = true;
  } catch {
    // Another process kept the lock too long: copy what can be copied, as without it.
  }
  try {
    copiedWhileHeld = passive()?.log;
  } finally {
    if (locked) lock.exec('ROLLBACK');
  }
  holding = false;
  parentPort.postMessage({ type: 'checkpointed' });
});
