import { createHmac, randomBytes } from 'node:crypto';
import type { AuditEvent } from '../core/audit.ts';
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

/**
 * Buffers audit events and writes them in batches, so that the token endpoint pays for an array
 * push, not a database write, per request. A batch goes out when it is full or after
 * `flushAfterMs`; `flush()` writes at once (on shutdown, and in tests).
 */
export class AuditLog {
  private buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: AuditStore,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly flushAfterMs = 50,
    private readonly maxBatch = 500,
  ) {}

  record(event: AuditEvent): void {
    this.buffer.push(event);
    if (this.buffer.length >= this.maxBatch) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushAfterMs);
      this.timer.unref();
    }
  }

  /** Writes everything recorded so far; resolves when it is stored. */
  flush(): Promise<void> {
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
