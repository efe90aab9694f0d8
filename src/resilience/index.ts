// resilience/: what a client attempt must offer its stages (ClientAttempt, RetryableCall), retry
// (policy, decision, backoff, budget) and hedging beside it, circuit breakers (admit, then done;
// the only importer of opossum), bulkhead, rate limit, fallback, policy merging, and
// failure-kind.ts (which codes count against an endpoint and which may be retried).
// Layer 2: imports call/, errors/ and util/ only.
export { ResilienceReason } from './reasons';
export { type MonotonicClock, monotonicNowMs } from './clock';
export {
  type FailureKind,
  BUSINESS_CODES,
  ENDPOINT_FAILURE_CODES,
  RETRYABLE_CODES,
  IDEMPOTENT_RETRY_ON,
  isBusinessCode,
  failureKind,
  failureCode,
  countsAgainstEndpoint,
} from './failure-kind';
export {
  type RetryPolicy,
  type RetryBudgetPolicy,
  type ResolvedRetryPolicy,
  type ResolvedRetryBudgetPolicy,
  resolveRetryPolicy,
  DEFAULT_MAX_ATTEMPTS,
  MAX_ATTEMPTS_CAP,
  DEFAULT_INITIAL_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_BACKOFF_MULTIPLIER,
  DEFAULT_RETRY_BUDGET_RATIO,
  DEFAULT_RETRY_BUDGET_MIN_PER_SECOND,
} from './retry-policy';
export { backoffCapMs, fullJitterBackoffMs } from './full-jitter-backoff';
export { type RetryDecision, decideRetry, retryAfterMsOf } from './decide-retry';
export { RetryBudget, RETRY_BUDGET_WINDOW_MS, RETRY_BUDGET_BUCKETS } from './retry-budget';
export { type RetryMiddlewareOptions, retryMiddleware, RETRY_ATTEMPT_METADATA_KEY } from './retry-middleware';
export { type RetryableCall, type ClientAttempt } from './client-attempt';
export { type ResolvedHedgePolicy, hedgeStage } from './hedge';
export { abortableSleep, abortError } from './abortable-sleep';
export {
  type BreakerPolicy,
  type ResolvedBreakerPolicy,
  resolveBreakerPolicy,
  DEFAULT_ERROR_THRESHOLD_PERCENTAGE,
  DEFAULT_VOLUME_THRESHOLD,
  DEFAULT_ROLLING_COUNT_TIMEOUT_MS,
  DEFAULT_RESET_TIMEOUT_MS,
} from './breaker-policy';
export {
  type BreakerState,
  type BreakerStateChange,
  type BreakerStats,
  type BreakersOptions,
  Breakers,
  EndpointBreaker,
  breakerKey,
  ADMITTED,
  type Admission,
  type BreakerProbe,
} from './breakers';
export { type BulkheadPolicy, type ResolvedBulkheadPolicy, resolveBulkheadPolicy, DEFAULT_MAX_QUEUE } from './bulkhead-policy';
export { Bulkhead, bulkheadMiddleware } from './bulkhead';
export {
  type RateLimitPolicy,
  type ResolvedRateLimitPolicy,
  type RateLimitKey,
  resolveRateLimitPolicy,
  DEFAULT_RATE_LIMIT_MAX_KEYS,
} from './rate-limit-policy';
export { TokenBucket } from './token-bucket';
export { RateLimiter, rateLimitMiddleware, callerOf, CALLER_METADATA_KEY } from './rate-limiter';
export { type Fallback, fallbackMiddleware } from './fallback';
export { type PolicyLayer, mergePolicies } from './merge-policies';
export {
  type ThrottlePolicy,
  type ResolvedThrottlePolicy,
  AdaptiveThrottle,
  resolveThrottlePolicy,
  DEFAULT_THROTTLE_RATIO,
  THROTTLE_WINDOW_MS,
} from './adaptive-throttle';
