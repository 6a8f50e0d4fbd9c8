/**
 * Calls in flight per service, through this gateway instance (docs/resource-server.md "Limits per
 * service"). A service at its limit is refused at once (`503` with `Retry-After`) instead of
 * queueing, so that one slow service holds at most its own share of connections and sockets, and
 * every other service on the same upstream host keeps being served.
 */
export class ServiceConcurrency {
  private readonly inFlight = new Map<string, number>();

  /** Takes a place for a call to `service`; `undefined` when its `limit` places are all taken, else the release (idempotent). */
  tryAcquire(service: string, limit: number): (() => void) | undefined {
    const count = this.inFlight.get(service) ?? 0;
    if (count >= limit) return undefined;
    this.inFlight.set(service, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(service) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(service);
      else this.inFlight.set(service, left);
    };
  }

  /** Calls in flight now, per service (for tests and metrics). */
  current(service: string): number {
    return this.inFlight.get(service) ?? 0;
  }
}
