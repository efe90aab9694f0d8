import { ErrorReason, isRpcError, reasonOf, type StoppedBy } from '../errors';
import { failureCode, failureKind, IDEMPOTENT_RETRY_ON } from './failure-kind';
import { fullJitterBackoffMs } from './full-jitter-backoff';
import { ResilienceReason } from './reasons';
import type { ResolvedRetryPolicy } from './retry-policy';

/** What to do after a failed attempt: retry after `delayMs`, or stop and say why. */
export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly stoppedBy: StoppedBy };

// Stop decisions carry no per-call data, so they are made once.
const STOP: Readonly<Record<StoppedBy, RetryDecision>> = Object.freeze({
  maxAttempts: Object.freeze({ retry: false, stoppedBy: 'maxAttempts' }),
  deadline: Object.freeze({ retry: false, stoppedBy: 'deadline' }),
  budget: Object.freeze({ retry: false, stoppedBy: 'budget' }),
  notRetryable: Object.freeze({ retry: false, stoppedBy: 'notRetryable' }),
  notIdempotent: Object.freeze({ retry: false, stoppedBy: 'notIdempotent' }),
  breaker: Object.freeze({ retry: false, stoppedBy: 'breaker' }),
  bulkhead: Object.freeze({ retry: false, stoppedBy: 'bulkhead' }),
  overloaded: Object.freeze({ retry: false, stoppedBy: 'overloaded' }),
});

const RETRY_NOW: RetryDecision = Object.freeze({ retry: true, delayMs: 0 });

/**
 * The server's pushback on a failure: `details.retryAfterMs` of a `RESOURCE_EXHAUSTED` or
 * `UNAVAILABLE` error, in milliseconds. A negative value means "do not retry". `undefined` when
 * the error carries none (or another code, or a non-finite number). Never throws.
 */
export function retryAfterMsOf(err: unknown): number | undefined {
  if (!isRpcError(err) || (err.code !== 'RESOURCE_EXHAUSTED' && err.code !== 'UNAVAILABLE')) return undefined;
  const d = err.details;
  if (typeof d !== 'object' || d === null) return undefined;
  const ms = (d as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}

/**
 * Decides whether to retry after attempt number `attempt` (1 for the first try) failed with `err`.
 * Pure apart from `random` (inject it for tests); the retry budget is asked separately, after a
 * `retry: true`. The rules, in order:
 * 1. Business codes, `CANCELLED`, and hopeless failures (no instance, client closed): stop, `notRetryable`;
 *    every endpoint's breaker open: stop at once, `breaker` (sleeping would only delay the failure).
 * 2. A failure that may have reached a handler: stop with `notIdempotent` unless `idempotent`, and
 *    with `notRetryable` unless its code is in `retryOn` (default {@link IDEMPOTENT_RETRY_ON}).
 *    A failure that provably never reached one (`notProcessed`) skips this rule.
 * 3. Server pushback `retryAfterMs < 0`: stop, `notRetryable`.
 * 4. `attempt >= maxAttempts`: stop, `breaker` or `bulkhead` when an open breaker or a full
 *    bulkhead refused the last attempt, else `maxAttempts`.
 * 5. The delay is full jitter over the backoff cap, raised to the pushback `retryAfterMs` when
 *    there is one; none after a draining server's refusal or an overloaded server's shed (both ask
 *    to go elsewhere now: a shed's `retryAfterMs` is how long to stay away from *that* endpoint,
 *    and the retry goes to another one).
 * 6. A retry that could not start before the deadline (`delayMs >= remainingMs`) does not start: `deadline`.
 *
 * @param remainingMs milliseconds left before the call's deadline; `undefined` for no deadline.
 */
export function decideRetry(
  attempt: number,
  policy: ResolvedRetryPolicy,
  err: unknown,
  idempotent: boolean,
  remainingMs: number | undefined,
  random: () => number = Math.random,
): RetryDecision {
  const kind = failureKind(err);
  if (kind === 'hopeless' && reasonOf(err) === ErrorReason.BREAKER_OPEN) return STOP.breaker;
  if (kind === 'business' || kind === 'cancelled' || kind === 'hopeless') return STOP.notRetryable;
  if (kind === 'processed') {
    if (!idempotent) return STOP.notIdempotent;
    if (!(policy.retryOn ?? IDEMPOTENT_RETRY_ON).includes(failureCode(err))) return STOP.notRetryable;
  }
  const pushbackMs = retryAfterMsOf(err);
  if (pushbackMs !== undefined && pushbackMs < 0) return STOP.notRetryable;
  const reason = reasonOf(err);
  if (attempt >= policy.maxAttempts) {
    if (reason === ErrorReason.BREAKER_OPEN) return STOP.breaker;
    if (reason === ResilienceReason.BULKHEAD_FULL) return STOP.bulkhead;
    return STOP.maxAttempts;
  }
  if (reason === ErrorReason.SERVER_DRAINING || reason === ErrorReason.OVERLOADED || reason === ErrorReason.THROTTLED) {
    return remainingMs !== undefined && remainingMs <= 0 ? STOP.deadline : RETRY_NOW;
  }
  let delayMs = fullJitterBackoffMs(attempt - 1, policy, random);
  if (pushbackMs !== undefined && pushbackMs > delayMs) delayMs = pushbackMs;
  if (remainingMs !== undefined && delayMs >= remainingMs) return STOP.deadline;
  return { retry: true, delayMs };
}

