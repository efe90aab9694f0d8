import { type BalancerSpec, validateBalancerSpec } from '../balancer';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { checkInterceptor, type InterceptorLike } from '../interceptors';
import {
  type BreakerPolicy,
  type BulkheadPolicy,
  type Fallback,
  resolveBreakerPolicy,
  resolveBulkheadPolicy,
  type ResolvedHedgePolicy,
  resolveRetryPolicy,
  resolveThrottlePolicy,
  type RetryPolicy,
  type ThrottlePolicy,
} from '../resilience';
import { validRange } from 'semver';
import { resolveTlsClientOptions, type TlsClientOptions } from '../transport';
import { bool, durationMs, optionsObject, positiveInt, rejectUnknownKeys } from '../util';
import { type OutlierDetectionPolicy, resolveOutlierDetection } from './routing/outlier-detector';

/** Hedged calls: when no reply came after `delayMs`, another attempt goes to another endpoint. Idempotent methods only. */
export interface HedgePolicy {
  /** How long to wait for a reply before sending the next hedged attempt. */
  delayMs: number;
  /** Attempts in all, the first included. Default 2, at most 5. */
  maxAttempts?: number;
}

/** Per-method overrides inside a ClientPolicy. */
export interface MethodPolicy {
  /** Deadline of calls to this method; the tighter of this and the others wins. */
  timeoutMs?: number;
  /** Declares the method safe to run twice (overrides what the service says). */
  idempotent?: boolean;
  /** Client interceptors for this method only, innermost. */
  interceptors?: InterceptorLike[];
  retry?: false | RetryPolicy;
  hedge?: false | HedgePolicy;
  fallback?: Fallback;
}

/**
 * How a client calls one target service. Every key is optional; more specific settings win
 * (call > this policy > method decorator > class decorator > app default), except timeouts, where
 * the tighter wins.
 */
export interface ClientPolicy {
  /** Deadline of every call through this proxy. Default 10 s. */
  timeoutMs?: number;
  /** Client interceptors for this target, inside the client's global ones. */
  interceptors?: InterceptorLike[];
  /** Overrides per method name. */
  methods?: Record<string, MethodPolicy>;
  /**
   * How to choose an endpoint: 'p2c-ewma' (default), 'round-robin', 'random', 'weighted',
   * 'least-active', `{ consistentHash: (ctx) => key }`, or your own Balancer.
   */
  balancer?: BalancerSpec;
  /** Retries (on by default, 3 attempts); `false` turns them off. */
  retry?: false | RetryPolicy;
  /** Circuit breaking per endpoint (on by default); `false` turns it off. */
  breaker?: false | BreakerPolicy;
  /** Hedged calls for idempotent methods (off by default). */
  hedge?: false | HedgePolicy;
  /** At most this many calls in flight to the target, and this many waiting. */
  bulkhead?: BulkheadPolicy;
  /** The value to return when a call fails after retries and breaker gave up. */
  fallback?: Fallback;
  /** Eject endpoints that keep failing, for a growing while (on by default); `false` turns it off. */
  outlierDetection?: false | OutlierDetectionPolicy;
  /** Wait (within the deadline) for an endpoint to become ready instead of failing fast. Default false. */
  waitForReady?: boolean;
  /**
   * Client-side adaptive throttling per endpoint (Google SRE, "Handling Overload"; docs/overload.md):
   * toward an endpoint that keeps shedding calls, reject some attempts locally, with probability
   * `(requests - ratio * accepts) / (requests + 1)` over the last 30 s, and send them elsewhere.
   * On by default with `ratio` (K) 2; `false` turns it off.
   */
  throttle?: false | ThrottlePolicy;
  /** Only call instances whose `@Service` version satisfies this semver range (e.g. '^2.1.0'). */
  version?: string;
  /**
   * TLS settings of this target's connections (its own CA, client certificate for mTLS,
   * servername), in place of the client's. Connections with different TLS settings to one
   * address are different connections. Default: the client's (`createClient({ tls })`,
   * `createApp({ clientTls })`).
   */
  tls?: TlsClientOptions;
}


/** Hedged attempts per call by default, the first included. */
export const DEFAULT_HEDGE_ATTEMPTS = 2;
const MAX_HEDGE_ATTEMPTS = 5;

const POLICY_KEYS = ['timeoutMs', 'interceptors', 'methods', 'balancer', 'retry', 'breaker', 'hedge', 'bulkhead', 'fallback', 'outlierDetection', 'waitForReady', 'version', 'tls', 'throttle'] as const;
const METHOD_KEYS = ['timeoutMs', 'idempotent', 'interceptors', 'retry', 'hedge', 'fallback'] as const;

function interceptorList(name: string, value: unknown): InterceptorLike[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be an array of interceptors.`);
  }
  value.forEach((i, n) => checkInterceptor(i, `${name}[${n}]`));
  return value as InterceptorLike[];
}

/** Validates a hedge policy. Throws RivetConfigError naming the option. */
export function resolveHedgePolicy(input: unknown, name: string): ResolvedHedgePolicy {
  const h = optionsObject(name, input);
  rejectUnknownKeys(name, h, ['delayMs', 'maxAttempts']);
  const maxAttempts = h.maxAttempts === undefined ? DEFAULT_HEDGE_ATTEMPTS : positiveInt(`${name}.maxAttempts`, h.maxAttempts, DEFAULT_HEDGE_ATTEMPTS);
  if (maxAttempts < 2 || maxAttempts > MAX_HEDGE_ATTEMPTS) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.maxAttempts must be from 2 to ${MAX_HEDGE_ATTEMPTS}, got ${maxAttempts}.`);
  }
  return Object.freeze({ delayMs: durationMs(`${name}.delayMs`, h.delayMs), maxAttempts });
}

function checkFallback(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be a function (err, ctx) => value.`);
  }
}

/**
 * Checks a ClientPolicy where it is declared (proxy, `@RemoteService`, app default), so a bad key
 * is reported against its source. Returns it unchanged; layers are merged per method later.
 * Throws RivetConfigError naming the option and the fix.
 */
export function checkClientPolicy(input: unknown, name = 'ClientPolicy'): ClientPolicy {
  const p = optionsObject(name, input);
  rejectUnknownKeys(name, p, POLICY_KEYS);
  if (p.timeoutMs !== undefined) durationMs(`${name}.timeoutMs`, p.timeoutMs);
  interceptorList(`${name}.interceptors`, p.interceptors);
  validateBalancerSpec(p.balancer, `${name}.balancer`);
  if (p.retry !== undefined && p.retry !== false) resolveRetryPolicy(p.retry, `${name}.retry`);
  if (p.breaker !== undefined && p.breaker !== false) resolveBreakerPolicy(p.breaker, `${name}.breaker`);
  if (p.hedge !== undefined && p.hedge !== false) resolveHedgePolicy(p.hedge, `${name}.hedge`);
  if (p.bulkhead !== undefined) resolveBulkheadPolicy(p.bulkhead, `${name}.bulkhead`);
  checkFallback(`${name}.fallback`, p.fallback);
  if (p.outlierDetection !== undefined && p.outlierDetection !== false) resolveOutlierDetection(p.outlierDetection, `${name}.outlierDetection`);
  if (p.waitForReady !== undefined) bool(`${name}.waitForReady`, p.waitForReady);
  if (p.throttle !== undefined) resolveThrottlePolicy(p.throttle, `${name}.throttle`);
  if (p.version !== undefined && (typeof p.version !== 'string' || validRange(p.version) === null)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.version must be a semver range such as '^2.1.0' or '>=1.4 <3', got ${JSON.stringify(p.version)}.`);
  }
  if (p.tls !== undefined) resolveTlsClientOptions(p.tls, `${name}.tls`);
  for (const [method, raw] of Object.entries(optionsObject(`${name}.methods`, p.methods))) {
    const mName = `${name}.methods.${method}`;
    const m = optionsObject(mName, raw);
    rejectUnknownKeys(mName, m, METHOD_KEYS);
    if (m.timeoutMs !== undefined) durationMs(`${mName}.timeoutMs`, m.timeoutMs);
    if (m.idempotent !== undefined) bool(`${mName}.idempotent`, m.idempotent);
    interceptorList(`${mName}.interceptors`, m.interceptors);
    if (m.retry !== undefined && m.retry !== false) resolveRetryPolicy(m.retry, `${mName}.retry`);
    if (m.hedge !== undefined && m.hedge !== false) resolveHedgePolicy(m.hedge, `${mName}.hedge`);
    checkFallback(`${mName}.fallback`, m.fallback);
  }
  return p as ClientPolicy;
}
