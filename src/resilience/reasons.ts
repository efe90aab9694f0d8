import { ErrorReason } from '../errors';

/** The `details.reason` strings the resilience stages raise (kept in ErrorReason with the rest). */
export const ResilienceReason = {
  /** A bulkhead had every slot busy and its queue full (or no queue); the call was not run. */
  BULKHEAD_FULL: ErrorReason.BULKHEAD_FULL,
  /** A rate limiter's token bucket was empty; the call was not run. `details.retryAfterMs` says when a token is due. */
  RATE_LIMITED: ErrorReason.RATE_LIMITED,
} as const;

/** One of the reasons in {@link ResilienceReason}. */
export type ResilienceReason = (typeof ResilienceReason)[keyof typeof ResilienceReason];
