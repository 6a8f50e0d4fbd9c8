import pg from 'pg';
import type { ReadCaches } from '../read-caches.ts';

/** The channel migration 0015's triggers notify on. */
export const CHANGE_CHANNEL = 'portcullis_cache';

/** How the feed's connection is named in pg_stat_activity (application_name), followed by the process id. */
export const CHANGE_FEED_APPLICATION = 'portcullis-changes';

/**
 * A heartbeat on the feed's connection this often; one still unanswered at the next is a
 * connection given up. With the reconnect's clearing, this bounds how long any change can go
 * unseen to under a second (2 × this), also when the connection hangs without closing.
 */
const HEARTBEAT_MS = 400;
/** Reconnection back-off: the first retry after this, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** A key as the caches know it: bytea keys (the tokens', migration 0014) arrive as PostgreSQL's `\\x` hex text. */
function cacheKey(key: string): string {
  return key.startsWith('\\x') ? Buffer.from(key.slice(2), 'hex').toString('base64url') : key;
}

/** Hands each change notified on CHANGE_CHANNEL (`table` or `table:key`) to the caches. */
export function applyChange(caches: ReadCaches, payload: string | undefined): void {
  const text = payload ?? '';
  const colon = text.indexOf(':');
  if (colon < 0) caches.changed(text, undefined);
  else caches.changed(text.slice(0, colon), cacheKey(text.slice(colon + 1)));
}

/**
 * The PostgreSQL store's view of changes made anywhere (this instance, another one, the CLI):
 * one connection of its own, outside the pool, that LISTENs on CHANGE_CHANNEL and drops the
 * entries each notification concerns. The caches are trusted only while it listens:
 * - until LISTEN is established, and from the moment the connection fails, ends or misses a
 *   heartbeat, every lookup goes to the database (`distrust`);
 * - it reconnects with back-off, and once LISTEN is established again it clears every cache
 *   (what was notified meanwhile is lost) before they are used again (`trust`).
 */
export class ChangeFeed {
  private client: pg.Client | undefined;
  private listening = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private awaitingBeat = false;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private ended: Promise<void> = Promise.resolve();

  constructor(
    private readonly connectionString: string,
    private readonly caches: ReadCaches,
  ) {}

  start(): void {
    void this.connect();
  }

  /**
   * Resolves once every change committed before the call has reached the caches: PostgreSQL
   * sends a listening session its pending notifications before it answers a query. Resolves at
   * once while the feed is down (the caches are not used then).
   */
  async caughtUp(): Promise<void> {
    if (this.listening) await this.client?.query('SELECT 1').catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.lost(this.client);
    await this.ended;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: `${CHANGE_FEED_APPLICATION} ${process.pid}`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL) applyChange(this.caches, message.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch {
      this.lost(client);
      return;
    }
    if (this.client !== client) return;
    this.failures = 0;
    this.listening = true;
    this.caches.trust();
    this.heartbeat = setInterval(() => this.beat(client), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private beat(client: pg.Client): void {
    if (this.awaitingBeat) {
      this.lost(client);
      return;
    }
    this.awaitingBeat = true;
    client.query('SELECT 1').then(
      () => {
        this.awaitingBeat = false;
      },
      () => this.lost(client),
    );
  }

  /** The connection is gone or not to be believed: stop trusting the caches now, and reconnect. */
  private lost(client: pg.Client | undefined): void {
    if (client === undefined || this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    this.awaitingBeat = false;
    clearInterval(this.heartbeat);
    this.caches.distrust();
    client.removeAllListeners('notification');
    this.ended = client.end().catch(() => undefined);
    if (this.closed) return;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures++);
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }
}
