import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ConfigError } from '../../core/errors.ts';

const CHANNEL = 'portcullis_session_check';
/** How long the notification may take to arrive; a direct connection delivers it in milliseconds. */
const WAIT_MS = 5_000;

/**
 * Refuses to start where notifications do not reach a connection that LISTENs, which the read
 * caches rely on (change-feed.ts): behind a connection pooler in transaction or statement mode
 * (PgBouncer's `pool_mode = transaction`), LISTEN holds a server session only for its own
 * statement, so another session's NOTIFY never reaches it, and the caches would go stale without
 * notice. The NOTIFY comes from a second connection: one the listener sent itself would come back
 * even there (the pooler may hand it the server session that listens). Throws a ConfigError that
 * says so; a connection failure is thrown as it is. Does NOT check anything else of the database.
 * @see docs/deployment.md#pgbouncer
 */
export async function requireSessions(connectionString: string): Promise<void> {
  const payload = randomBytes(12).toString('base64url');
  const listener = new pg.Client({ connectionString, application_name: 'portcullis-session-check' });
  const notifier = new pg.Client({ connectionString, application_name: 'portcullis-session-check' });
  let timer: NodeJS.Timeout | undefined;
  try {
    await listener.connect();
    const arrived = new Promise<boolean>((resolve) => {
      listener.on('notification', (message) => {
        if (message.channel === CHANNEL && message.payload === payload) resolve(true);
      });
      timer = setTimeout(() => resolve(false), WAIT_MS);
    });
    await listener.query(`LISTEN ${CHANNEL}`);
    await notifier.connect();
    await notifier.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
    if (!(await arrived)) {
      throw new ConfigError(
        'database_url: PostgreSQL notifications do not reach the connections of this instance: a connection pooler in transaction mode (PgBouncer pool_mode = transaction) is in between; use session mode or a direct connection (docs/deployment.md#pgbouncer)',
      );
    }
  } finally {
    // Also when LISTEN or the NOTIFY failed: the wait must not keep the process alive.
    clearTimeout(timer);
    await Promise.all([listener.end().catch(() => undefined), notifier.end().catch(() => undefined)]);
  }
}
