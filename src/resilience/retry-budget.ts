import { turnNowMs } from '../util';
import type { MonotonicClock } from './clock';
import type { ResolvedRetryBudgetPolicy } from './retry-policy';

/** The length of the sliding window a retry budget counts over, in milliseconds. */
export const RETRY_BUDGET_WINDOW_MS = 10_000;
/** How many buckets the window is cut into; the window slides one bucket (1 s) at a time. */
export const RETRY_BUDGET_BUCKETS = 10;

const BUCKET_MS = RETRY_BUDGET_WINDOW_MS / RETRY_BUDGET_BUCKETS;
const WINDOW_SECONDS = RETRY_BUDGET_WINDOW_MS / 1000;

/**
 * How much retrying may add to the load on one target service (Finagle's RetryBudget, gRPC's
 * retry throttling). Over the last 10 s, retries may number at most
 * `ratio * calls + minPerSecond * 10`. Past that, a failed call returns its error at once, so a
 * service that is down gets at most about `1 + ratio` times its normal load, never `maxAttempts` times.
 *
 * One per target service, shared by all its methods. Counts live in ten one-second buckets of a
 * ring, with running totals, so both operations are O(1) and allocate nothing.
 */
export class RetryBudget {
  private readonly calls = new Float64Array(RETRY_BUDGET_BUCKETS);
  private readonly retries = new Float64Array(RETRY_BUDGET_BUCKETS);
  private callTotal = 0;
  private retryTotal = 0;
  /** The bucket number (time / BUCKET_MS) of the newest bucket. */
  private head: number;
  private readonly allowance: number;

  /**
   * @param policy from `resolveRetryPolicy(...).budget`.
   * @param now a monotonic clock in milliseconds; default `performance.now()` read once per turn
   *   of the event loop (`turnNowMs`): the buckets are a second wide, and every call reads it.
   */
  constructor(
    private readonly policy: ResolvedRetryBudgetPolicy,
    private readonly now: MonotonicClock = turnNowMs,
  ) {
    this.head = Math.floor(now() / BUCKET_MS);
    this.allowance = policy.minPerSecond * WINDOW_SECONDS;
  }

  /** Counts one call (its first attempt, not its retries). Call it once per call. */
  recordCall(): void {
    this.advance();
    this.calls[this.head % RETRY_BUDGET_BUCKETS]++;
    this.callTotal++;
  }

  /**
   * Takes one retry from the budget: true (and counted) when the retries in the window stay within
   * `ratio * calls + minPerSecond * 10`, false otherwise. Never throws.
   */
  tryAcquireRetry(): boolean {
    this.advance();
    if (this.retryTotal + 1 > this.policy.ratio * this.callTotal + this.allowance) return false;
    this.retries[this.head % RETRY_BUDGET_BUCKETS]++;
    this.retryTotal++;
    return true;
  }

  /** Calls and retries counted in the current window (for metrics and tests). */
  snapshot(): { calls: number; retries: number } {
    this.advance();
    return { calls: this.callTotal, retries: this.retryTotal };
  }

  // Empties the buckets the clock has moved past, oldest first, at most one full turn.
  private advance(): void {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    if (bucket <= this.head) return;
    const steps = Math.min(bucket - this.head, RETRY_BUDGET_BUCKETS);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.head + i) % RETRY_BUDGET_BUCKETS;
      this.callTotal -= this.calls[slot];
      this.retryTotal -= this.retries[slot];
      this.calls[slot] = 0;
      this.retries[slot] = 0;
    }
    this.head = bucket;
  }
}
