/**
 * What a password check at the directory costs lately, so that a login that must not bind (an
 * unknown or disabled user) takes as long as one that did (docs/directory.md, "Timing"). Keeps the
 * durations of the last `size` real binds; their median is the typical cost. The directory may hash
 * passwords slowly (a failed bind for an existing entry runs its hash; one for a name that does not
 * exist may not), so the cost is measured, not assumed.
 */
export class BindCost {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 32) {}

  /** Records how long a real bind took, in milliseconds. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  /** The median of the recorded binds; 0 before the first. */
  typical(): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  }

  /** How much longer a stand-in that has taken `elapsed` milliseconds must wait to look like a typical bind. */
  padding(elapsed: number): number {
    return Math.max(0, this.typical() - elapsed);
  }
}
