import { ErrorReason, isRpcError, reasonOf, type RpcCode } from '../errors';

/*
 * The one place that decides what a failed call says about the endpoint and about retrying.
 * The breaker asks countsAgainstEndpoint(); retry asks failureKind(); option checks ask
 * isBusinessCode() and RETRYABLE_CODES. Change a rule here and every stage follows.
 */

/**
 * Codes a handler returns on purpose about the request itself. Another attempt gets the same
 * answer, and they say nothing about the endpoint's health: never retried, never counted by a breaker.
 */
export const BUSINESS_CODES: readonly RpcCode[] = Object.freeze([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'FAILED_PRECONDITION',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
] as const);

/** Codes that say the endpoint is unhealthy; these (and only these) count toward opening its breaker. */
export const ENDPOINT_FAILURE_CODES: readonly RpcCode[] = Object.freeze([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'INTERNAL',
  'UNKNOWN',
  'RESOURCE_EXHAUSTED',
] as const);

/**
 * Codes `RetryPolicy.retryOn` may list. `CANCELLED` (the caller gave up) and `DATA_LOSS`
 * (unrecoverable) are left out with the business codes.
 */
export const RETRYABLE_CODES: readonly RpcCode[] = Object.freeze([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'ABORTED',
  'INTERNAL',
  'UNKNOWN',
] as const);

/**
 * `retryOn` when the policy sets none. Only idempotent methods consult `retryOn`: a call to any
 * other method is retried only when it provably never reached a handler, whatever the code.
 */
export const IDEMPOTENT_RETRY_ON: readonly RpcCode[] = Object.freeze(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED'] as const);

const BUSINESS: ReadonlySet<string> = new Set(BUSINESS_CODES);
const ENDPOINT_FAILURES: ReadonlySet<string> = new Set(ENDPOINT_FAILURE_CODES);

// Retrying cannot help: nothing is there to call, or the client itself is gone.
const HOPELESS_REASONS: ReadonlySet<string> = new Set([ErrorReason.NO_INSTANCES, ErrorReason.NO_READY_ENDPOINT, ErrorReason.CLIENT_CLOSED]);

// Failures with an endpoint-failure code that are not the endpoint's fault: a draining server is
// leaving politely, a closed client is ours, an oversized request was never sent.
// OVERLOADED: the server shed the call cheaply, on purpose, and said when to come back. Opening its
// breaker (or ejecting it) would turn a partial refusal into a full one and cost goodput; the
// client's adaptive throttle and the balancer's load reports are the tools for it.
const NOT_THE_ENDPOINTS_FAULT: ReadonlySet<string> = new Set([ErrorReason.SERVER_DRAINING, ErrorReason.CLIENT_CLOSED, ErrorReason.FRAME_TOO_LARGE, ErrorReason.OVERLOADED, ErrorReason.THROTTLED]);

/** True for the codes in {@link BUSINESS_CODES}. */
export function isBusinessCode(code: RpcCode): boolean {
  return BUSINESS.has(code);
}

/**
 * How a failed attempt stands for retrying:
 * - `business`: a business code; never retried.
 * - `cancelled`: the caller gave up (`CANCELLED`); never retried.
 * - `hopeless`: no instance, no ready endpoint, every breaker open, or the client is closed;
 *   another attempt now fails the same way.
 * - `notProcessed`: provably never reached a handler; safe to retry for any method.
 * - `processed`: may have reached a handler; retried only for idempotent methods, on `retryOn` codes.
 * Anything that is not an RpcError reads as a processed `UNKNOWN`.
 */
export type FailureKind = 'business' | 'cancelled' | 'hopeless' | 'notProcessed' | 'processed';

/** Classifies a failed attempt; see {@link FailureKind}. Never throws. */
export function failureKind(err: unknown): FailureKind {
  if (!isRpcError(err)) return 'processed';
  if (BUSINESS.has(err.code)) return 'business';
  if (err.code === 'CANCELLED') return 'cancelled';
  const reason = reasonOf(err);
  if (reason !== undefined && HOPELESS_REASONS.has(reason)) return 'hopeless';
  // Every endpoint's breaker is open (the router found nothing to pick): no attempt can go
  // anywhere until one half-opens. One half-open breaker refusing says `breaker: 'halfOpen'`.
  if (reason === ErrorReason.BREAKER_OPEN && (err.details as { breaker?: unknown }).breaker === 'open') return 'hopeless';
  return err.notProcessed ? 'notProcessed' : 'processed';
}

/**
 * True when a failure says the endpoint is unhealthy, so it counts toward opening the endpoint's
 * breaker: a code in {@link ENDPOINT_FAILURE_CODES}, unless its reason shows it was not the
 * endpoint's fault (draining, client closed, request too large, shed as overloaded). Anything that is not an
 * RpcError counts (it reads as `UNKNOWN`). Never throws.
 */
export function countsAgainstEndpoint(err: unknown): boolean {
  if (!isRpcError(err)) return true;
  if (!ENDPOINT_FAILURES.has(err.code)) return false;
  const reason = reasonOf(err);
  return reason === undefined || !NOT_THE_ENDPOINTS_FAULT.has(reason);
}

/** The code of a failure as the retry rules see it: an RpcError's code, else `UNKNOWN`. */
export function failureCode(err: unknown): RpcCode {
  return isRpcError(err) ? err.code : 'UNKNOWN';
}

