import type { SessionStore } from '../store.ts';
import { toAdminSession } from '../rows.ts';
import type { Driver } from './driver.ts';
import { sql } from './statement.ts';

const INSERT = sql(
  'INSERT INTO admin_sessions (id_hash, username, created_at, last_seen_at, expires_at) VALUES (:idHash, :username, :createdAt, :lastSeenAt, :expiresAt)',
);
const BY_ID = sql('SELECT * FROM admin_sessions WHERE id_hash = :idHash');
// Forward only: a late request from another instance never moves the idle clock back.
const TOUCH = sql('UPDATE admin_sessions SET last_seen_at = :lastSeenAt WHERE id_hash = :idHash AND last_seen_at < :lastSeenAt');
const DELETE = sql('DELETE FROM admin_sessions WHERE id_hash = :idHash');
const DELETE_OF_USER = sql('DELETE FROM admin_sessions WHERE username = :username');
const PURGE = sql('DELETE FROM admin_sessions WHERE expires_at <= :now OR last_seen_at < :idleBefore');

export function sessionStore(db: Driver): SessionStore {
  return {
    createAdminSession: async (session) => {
      await db.run(INSERT, session);
    },
    findAdminSession: (idHash) => db.one(BY_ID, { idHash }, toAdminSession),
    touchAdminSession: async (idHash, lastSeenAt) => {
      await db.run(TOUCH, { idHash, lastSeenAt });
    },
    deleteAdminSession: async (idHash) => (await db.run(DELETE, { idHash })) > 0,
    deleteAdminSessionsOf: (username) => db.run(DELETE_OF_USER, { username }),
    purgeAdminSessions: (now, idleBefore) => db.run(PURGE, { now, idleBefore }),
  };
}
