/**
 * A token bucket: holds up to `burst` tokens, refills at `perSecond`, and each call takes one.
 * It stores only a token count and the time it was last refilled, so an idle bucket costs no
 * timer: refilling is computed when the bucket is next used. Times come from a monotonic clock.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;
  private readonly perMs: number;

  /** Starts full, at `nowMs`. */
  constructor(
    perSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.refilledAtMs = nowMs;
    this.perMs = perSecond / 1000;
  }

  /**
   * Takes one token at `nowMs`. Returns 0 when it got one, else the milliseconds until one is due
   * (> 0, rounded up), for `details.retryAfterMs`. A number rather than an object, so the hot path
   * allocates nothing.
   */
  tryTake(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perMs));
  }

  /** True when the bucket is full at `nowMs`: forgetting it loses nothing, a new one starts full. */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.burst;
  }

  /** Tokens available at `nowMs` (fractional). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  private refill(nowMs: number): void {
    const elapsedMs = nowMs - this.refilledAtMs;
    // A clock that stepped back (a fake one in tests) refills nothing rather than draining.
    if (elapsedMs <= 0) return;
    this.refilledAtMs = nowMs;
    const tokens = this.tokens + elapsedMs * this.perMs;
    this.tokens = tokens < this.burst ? tokens : this.burst;
  }
}
