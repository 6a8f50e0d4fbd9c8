import type { LoginSession } from '../../core/model.ts';
import type { LoginSessionStore } from '../store.ts';
import { toLoginSession } from '../rows.ts';
import type { Driver } from './driver.ts';
import { sql } from './statement.ts';

const INSERT = sql(
  `INSERT INTO login_sessions (id_hash, username, auth_time, amr, last_seen_at, expires_at, ip)
   VALUES (:idHash, :username, :authTime, :amr, :lastSeenAt, :expiresAt, :ip)`,
);
const BY_ID = sql('SELECT * FROM login_sessions WHERE id_hash = :idHash');
// Forward only: a late request from another instance never moves the idle clock back.
const TOUCH = sql('UPDATE login_sessions SET last_seen_at = :lastSeenAt WHERE id_hash = :idHash AND last_seen_at < :lastSeenAt');
const DELETE = sql('DELETE FROM login_sessions WHERE id_hash = :idHash');
const DELETE_OF_USER = sql('DELETE FROM login_sessions WHERE username = :username');
const OF_USER = sql('SELECT * FROM login_sessions WHERE username = :username ORDER BY auth_time DESC, id_hash');
const PURGE = sql('DELETE FROM login_sessions WHERE expires_at <= :now OR last_seen_at < :idleBefore');

function sessionRow(session: LoginSession): Record<string, unknown> {
  return { ...session, amr: session.amr.join(' ') };
}

export function loginSessionStore(db: Driver): LoginSessionStore {
  return {
    createLoginSession: async (session) => {
      await db.run(INSERT, sessionRow(session));
    },
    findLoginSession: (idHash) => db.one(BY_ID, { idHash }, toLoginSession),
    touchLoginSession: async (idHash, lastSeenAt) => {
      await db.run(TOUCH, { idHash, lastSeenAt });
    },
    deleteLoginSession: async (idHash) => (await db.run(DELETE, { idHash })) > 0,
    deleteLoginSessionsOf: (username) => db.run(DELETE_OF_USER, { username }),
    listLoginSessions: (username) => db.all(OF_USER, { username }, toLoginSession),
    purgeLoginSessions: (now, idleBefore) => db.run(PURGE, { now, idleBefore }),
  };
}
