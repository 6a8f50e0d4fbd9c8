import { createHmac, randomBytes } from 'node:crypto';
import type { AuditEvent, AuditEventType } from '../core/audit.ts';
import type { AuditStore } from '../store/store.ts';

/** A key for this process's lifetime; fingerprints correlate within it and cannot be reversed by dictionary. */
const FINGERPRINT_KEY = randomBytes(32);

/**
 * Stands in for a name that matched no account (a username or client id). People type their
 * password into the username field; so an unmatched name is never stored, only a keyed
 * fingerprint that lets repeated attempts be correlated.
 */
export function unmatchedName(value: string): string {
  return `unmatched:${createHmac('sha256', FINGERPRINT_KEY).update(value, 'utf8').digest('base64url').slice(0, 16)}`;
}

/** Event types a flood of anonymous requests produces, one per request: these are summarised. */
const FLOOD_TYPES: ReadonlySet<AuditEventType> = new Set(['client_auth.failed', 'client_auth.throttled', 'login.throttled']);

export interface FloodPolicy {
  /** Length of a window, in seconds. */
  windowSeconds: number;
  /** Events of one type from one address recorded one by one per window; the rest are counted. */
  individually: number;
  /** Addresses tracked at once; beyond them every address shares one bucket (bounded memory). */
  maxAddresses: number;
}

export const DEFAULT_FLOOD_POLICY: FloodPolicy = { windowSeconds: 60, individually: 10, maxAddresses: 10_000 };

interface FloodWindow {
  id: string;
  type: AuditEventType;
  ip: string | null;
  start: number;
  seen: number;
}

/**
 * Buffers audit events and writes them in batches, so that the token endpoint pays for an array
 * push, not a database write, per request. A batch goes out when it is full or after
 * `flushAfterMs`; `flush()` writes at once (in tests), `flush(true)` also closes every running
 * flood window (on shutdown).
 *
 * Floods are summarised (docs/security.md#audit-log): of the events one address causes per type
 * and window (failed or throttled client authentication, throttled logins), the first
 * `individually` are recorded as they are and the rest only counted, then written as one
 * `flood.summarised` record ("N events of this type from this address in this window") once the
 * window has ended, so that anonymous requests cannot grow the table by a row each.
 */
export class AuditLog {
  private buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly floods = new Map<string, FloodWindow>();
  private latestAt = 0;

  constructor(
    private readonly store: AuditStore,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly flushAfterMs = 50,
    private readonly maxBatch = 500,
    private readonly flood: FloodPolicy = DEFAULT_FLOOD_POLICY,
  ) {}

  record(event: AuditEvent): void {
    this.latestAt = Math.max(this.latestAt, event.at);
    if (FLOOD_TYPES.has(event.type) && !this.admit(event)) return;
    this.push(event);
  }

  /** Whether the event is recorded one by one; otherwise it is only counted in its window. */
  private admit(event: AuditEvent): boolean {
    const ip = event.ip ?? null;
    let id = `${event.type}\u0000${ip ?? ''}`;
    if (!this.floods.has(id) && this.floods.size >= this.flood.maxAddresses) id = `${event.type}\u0000*`;
    let window = this.floods.get(id);
    if (window !== undefined && event.at >= window.start + this.flood.windowSeconds) {
      this.summarise(window);
      window = undefined;
    }
    if (window === undefined) {
      window = { id, type: event.type, ip: id.endsWith('\u0000*') ? null : ip, start: event.at, seen: 0 };
      this.floods.set(id, window);
    }
    window.seen++;
    return window.seen <= this.flood.individually;
  }

  /** Writes the window's summary when it counted more than it recorded, and forgets it. */
  private summarise(window: FloodWindow): void {
    this.floods.delete(window.id);
    if (window.seen <= this.flood.individually) return;
    this.push({
      at: window.start + this.flood.windowSeconds,
      type: 'flood.summarised',
      ip: window.ip,
      detail: { type: window.type, count: window.seen, unrecorded: window.seen - this.flood.individually, window_seconds: this.flood.windowSeconds },
    });
  }

  private push(event: AuditEvent): void {
    this.buffer.push(event);
    if (this.buffer.length >= this.maxBatch) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushAfterMs);
      this.timer.unref();
    }
  }

  /** Writes everything recorded so far (and the summaries of ended flood windows; of all, when `final`); resolves when it is stored. */
  flush(final = false): Promise<void> {
    // A window that ended is summarised with the next batch after it (or at shutdown). Windows are
    // added as they start, so the map is in order of start: the first that has not ended ends the scan
    // (deleting the entry being visited is safe while iterating a Map).
    for (const window of this.floods.values()) {
      if (!final && this.latestAt < window.start + this.flood.windowSeconds) break;
      this.summarise(window);
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.store.appendAudit(batch);
      } catch (error) {
        this.onError(error);
      }
    });
    return this.writing;
  }
}
