/**
 * A token bucket that spaces calls so that a batch stays under Stripe's rate limit instead of
 * running into it. Each caller reserves the next free slot and waits for it, so concurrent
 * callers queue up fairly without polling.
 */
export class RequestPacer {
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private tokens: number;
  private refilledAt: number;

  constructor(options: {
    readonly requestsPerSecond: number;
    /** Calls allowed back to back after a quiet spell; 1 spaces every call evenly. */
    readonly burst?: number;
    /** A monotonic time in milliseconds. */
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
  }) {
    if (!(options.requestsPerSecond > 0)) {
      throw new RangeError('requestsPerSecond must be above zero');
    }

    this.intervalMs = 1000 / options.requestsPerSecond;
    this.burst = Math.max(1, options.burst ?? 1);
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.tokens = this.burst;
    this.refilledAt = this.now();
  }

  /** Resolves when the caller may send its request. */
  async take(): Promise<void> {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) / this.intervalMs);
    this.refilledAt = now;

    // A negative balance is the queue of callers already waiting for a slot.
    this.tokens -= 1;
    if (this.tokens < 0) {
      await this.sleep(-this.tokens * this.intervalMs);
    }
  }
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
