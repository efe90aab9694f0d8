/**
 * The `details.reason` strings the resilience stages raise. They belong in `ErrorReason`
 * (src/errors/error-reason.ts) beside `BREAKER_OPEN`; until they move there they live here, with
 * the same values, so logs and tests can match on them either way.
 */
export const ResilienceReason = {
  /** A bulkhead had every slot busy and its queue full (or no queue); the call was not run. */
  BULKHEAD_FULL: 'BULKHEAD_FULL',
  /** A rate limiter's token bucket was empty; the call was not run. `details.retryAfterMs` says when a token is due. */
  RATE_LIMITED: 'RATE_LIMITED',
} as const;

/** One of the reasons in {@link ResilienceReason}. */
export type ResilienceReason = (typeof ResilienceReason)[keyof typeof ResilienceReason];
