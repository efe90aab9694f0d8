import { isRpcCode, type RpcCode } from '../errors';
import { describeValue, durationMs, optionsObject, rejectUnknownKeys } from '../util';
import { isBusinessCode, RETRYABLE_CODES } from './failure-kind';
import { finiteInRange, invalidOption } from './policy-checks';

/** Attempts per call by default, first try included. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** The most attempts a policy may ask for, first try included: more only multiplies load on a struggling service. */
export const MAX_ATTEMPTS_CAP = 10;
/** The backoff cap before the first retry, in milliseconds. */
export const DEFAULT_INITIAL_BACKOFF_MS = 50;
/** The largest backoff cap, in milliseconds. */
export const DEFAULT_MAX_BACKOFF_MS = 2_000;
/** How much the backoff cap grows per retry. */
export const DEFAULT_BACKOFF_MULTIPLIER = 2;
/** Retries may add at most this fraction of the recent call rate (per target service). */
export const DEFAULT_RETRY_BUDGET_RATIO = 0.2;
/** Retries allowed per second on top of the ratio, so a quiet service can still retry. */
export const DEFAULT_RETRY_BUDGET_MIN_PER_SECOND = 10;

/** How much retrying a target service may add to its load. */
export interface RetryBudgetPolicy {
  /** Retries may add at most this fraction of the calls in the last 10 s. Default 0.2, from 0 to 1. */
  ratio?: number;
  /** Retries per second allowed on top of `ratio`. Default 10, >= 0. */
  minPerSecond?: number;
}

/**
 * When and how a client retries. Every key is optional. A call that provably never reached a
 * handler is retried for any method; one that may have reached a handler only when the method is
 * idempotent and its code is in `retryOn`. Business codes are never retried.
 */
export interface RetryPolicy {
  /** Attempts per call, first try included. Default 3, from 1 to 10. */
  maxAttempts?: number;
  /** Backoff cap before the first retry, in milliseconds. Default 50. */
  initialBackoffMs?: number;
  /** The largest backoff cap, in milliseconds. Default 2000; at least `initialBackoffMs`. */
  maxBackoffMs?: number;
  /** Growth of the backoff cap per retry. Default 2, from 1 to 10. */
  multiplier?: number;
  /**
   * Codes retried after the request may have reached a handler (idempotent methods only).
   * Default `['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED']` for idempotent
   * methods. Allowed: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN.
   */
  retryOn?: RpcCode[];
  /** The retry budget of the target service. Default `{ ratio: 0.2, minPerSecond: 10 }`. */
  budget?: RetryBudgetPolicy;
}

/** A validated, frozen {@link RetryBudgetPolicy}. */
export interface ResolvedRetryBudgetPolicy {
  readonly ratio: number;
  readonly minPerSecond: number;
}

/** A validated, frozen {@link RetryPolicy}. */
export interface ResolvedRetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly multiplier: number;
  /** `undefined` when the policy set none: the default then depends on the method's idempotency. */
  readonly retryOn: readonly RpcCode[] | undefined;
  readonly budget: ResolvedRetryBudgetPolicy;
}

const RETRY_KEYS = ['maxAttempts', 'initialBackoffMs', 'maxBackoffMs', 'multiplier', 'retryOn', 'budget'] as const;
const BUDGET_KEYS = ['ratio', 'minPerSecond'] as const;
const MAX_MULTIPLIER = 10;
// Setting up a retry storm of more than this many retries per second is a typo, not a policy.
const MAX_MIN_RETRIES_PER_SECOND = 100_000;

/**
 * Validates a RetryPolicy, fills in defaults and freezes it. `name` prefixes messages
 * (`ClientPolicy.retry`). Throws RivetConfigError: RIVET_ERR_UNKNOWN_OPTION for an unknown key,
 * RIVET_ERR_INVALID_OPTION for a bad value (maxAttempts outside 1..10, a backoff <= 0, a business
 * or unknown code in retryOn, a budget ratio outside 0..1).
 */
export function resolveRetryPolicy(input: unknown = {}, name = 'RetryPolicy'): ResolvedRetryPolicy {
  const p = optionsObject(name, input);
  rejectUnknownKeys(name, p, RETRY_KEYS);
  const maxAttempts = p.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || (maxAttempts as number) < 1 || (maxAttempts as number) > MAX_ATTEMPTS_CAP) {
    invalidOption(
      `${name}.maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS_CAP} (first try included; 1 turns retries off), got ${describeValue(maxAttempts)}. ` +
        `More attempts only multiply load on a struggling service; leave it out to use the default (${DEFAULT_MAX_ATTEMPTS}).`,
    );
  }
  const initialBackoffMs = durationMs(`${name}.initialBackoffMs`, p.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS, DEFAULT_INITIAL_BACKOFF_MS);
  const maxBackoffMs = durationMs(`${name}.maxBackoffMs`, p.maxBackoffMs ?? Math.max(DEFAULT_MAX_BACKOFF_MS, initialBackoffMs), DEFAULT_MAX_BACKOFF_MS);
  if (maxBackoffMs < initialBackoffMs) {
    invalidOption(`${name}.maxBackoffMs (${maxBackoffMs}) must be at least initialBackoffMs (${initialBackoffMs}). Raise maxBackoffMs or lower initialBackoffMs.`);
  }
  const multiplier = finiteInRange(
    `${name}.multiplier`,
    p.multiplier ?? DEFAULT_BACKOFF_MULTIPLIER,
    { min: 1, max: MAX_MULTIPLIER, meaning: 'growth of the backoff per retry' },
    DEFAULT_BACKOFF_MULTIPLIER,
  );
  return Object.freeze({
    maxAttempts: maxAttempts as number,
    initialBackoffMs,
    maxBackoffMs,
    multiplier,
    retryOn: p.retryOn === undefined ? undefined : retryOnCodes(`${name}.retryOn`, p.retryOn),
    budget: resolveBudget(`${name}.budget`, p.budget),
  });
}

function resolveBudget(name: string, input: unknown): ResolvedRetryBudgetPolicy {
  const b = optionsObject(name, input);
  rejectUnknownKeys(name, b, BUDGET_KEYS);
  return Object.freeze({
    ratio: finiteInRange(
      `${name}.ratio`,
      b.ratio ?? DEFAULT_RETRY_BUDGET_RATIO,
      { min: 0, max: 1, meaning: 'the fraction of recent calls retries may add; 0.2 means 20%' },
      DEFAULT_RETRY_BUDGET_RATIO,
    ),
    minPerSecond: finiteInRange(
      `${name}.minPerSecond`,
      b.minPerSecond ?? DEFAULT_RETRY_BUDGET_MIN_PER_SECOND,
      { min: 0, max: MAX_MIN_RETRIES_PER_SECOND, meaning: 'retries per second always allowed' },
      DEFAULT_RETRY_BUDGET_MIN_PER_SECOND,
    ),
  });
}

function retryOnCodes(name: string, value: unknown): readonly RpcCode[] {
  if (!Array.isArray(value)) {
    invalidOption(`${name} must be an array of codes such as ['UNAVAILABLE', 'ABORTED'], got ${describeValue(value)}.`);
  }
  const codes: RpcCode[] = [];
  for (const code of value as unknown[]) {
    if (!isRpcCode(code)) {
      invalidOption(`${name}: ${describeValue(code)} is not an RpcCode. Use one of ${RETRYABLE_CODES.join(', ')}.`);
    }
    if (isBusinessCode(code)) {
      invalidOption(
        `${name}: '${code}' is a business code (the handler answered on purpose), so another attempt gets the same answer. Remove it from retryOn.`,
      );
    }
    if (!RETRYABLE_CODES.includes(code)) {
      invalidOption(`${name}: '${code}' is never retried (${code === 'CANCELLED' ? 'the caller gave up' : 'it cannot be recovered'}). Remove it from retryOn.`);
    }
    if (!codes.includes(code)) codes.push(code);
  }
  return Object.freeze(codes);
}
