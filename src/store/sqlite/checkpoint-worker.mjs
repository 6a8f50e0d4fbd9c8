// Runs in a worker thread (see background-checkpointer.ts): WAL checkpoints on a connection of its
// own, so that the page copying and fsyncs stay off the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path, { fileMustExist: true });
// As the server's connection: a checkpoint fsyncs the WAL before copying and the database after.
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
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
  // Nothing of the server's is writing now: this copies what is left, and the server's next write
  // transaction finds the WAL wholly copied and starts it over.
  copiedWhileHeld = passive()?.log;
  holding = false;
  parentPort.postMessage({ type: 'checkpointed' });
});
