// Runs in a worker thread (see background-checkpointer.ts): passive WAL checkpoints on a
// connection of its own, so that the page copying and fsyncs stay off the server's event loop.
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
setInterval(() => {
  try {
    checkpoint.run();
  } catch {
    // Busy (another checkpoint is running): the next tick tries again.
  }
}, workerData.intervalMs);
