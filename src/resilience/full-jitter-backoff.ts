import type { ResolvedRetryPolicy } from './retry-policy';

type BackoffSettings = Pick<ResolvedRetryPolicy, 'initialBackoffMs' | 'maxBackoffMs' | 'multiplier'>;

/**
 * The most a client waits before retry number `retry` (0 for the first retry), in milliseconds:
 * `min(maxBackoffMs, initialBackoffMs * multiplier^retry)`. Never throws.
 */
export function backoffCapMs(retry: number, policy: BackoffSettings): number {
  const cap = policy.initialBackoffMs * Math.pow(policy.multiplier, retry);
  // Math.pow overflows to Infinity for large `retry`; min() keeps the result finite.
  return cap < policy.maxBackoffMs ? cap : policy.maxBackoffMs;
}

/**
 * The delay before retry number `retry` (0 for the first), with full jitter:
 * `random(0, backoffCapMs(retry))`. Full jitter, unlike ±20%, spreads clients that failed together
 * over the whole interval, so they do not come back in lockstep (AWS Architecture Blog, "Exponential
 * Backoff and Jitter"). `random` returns [0, 1); inject it for tests. Never throws.
 */
export function fullJitterBackoffMs(retry: number, policy: BackoffSettings, random: () => number = Math.random): number {
  return random() * backoffCapMs(retry, policy);
}
