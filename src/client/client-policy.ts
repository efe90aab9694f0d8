import { type BalancerSpec, validateBalancerSpec } from '../balancer';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { checkInterceptor, type InterceptorLike } from '../interceptors';
import { bool, durationMs, optionsObject, positiveInt, rejectUnknownKeys } from '../util';

/** The longest retry chain a policy may ask for (first try included). */
export const MAX_ATTEMPTS_CAP = 10;
/** Attempts per call by default, first try included. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Per-method overrides inside a ClientPolicy. */
export interface MethodPolicy {
  /** Deadline of calls to this method; the tighter of this and the others wins. */
  timeoutMs?: number;
  /** Declares the method safe to run twice (overrides what the service class says). */
  idempotent?: boolean;
  /** Client interceptors for this method only, innermost. */
  interceptors?: InterceptorLike[];
}

/**
 * Retry settings. With the core alone, Rivet retries only calls that provably never reached a
 * handler (connect refused, refused by a draining server), on another endpoint when there is
 * one; such a retry is always safe.
 */
export interface RetryPolicy {
  /** Attempts per call, first try included. Default 3, at most 10. */
  maxAttempts?: number;
}

/** How a client calls one target service. Every key is optional. */
export interface ClientPolicy {
  /** Deadline of every call through this proxy. Default 10 s (the tighter of all set values wins). */
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
  /** Retry settings; `false` turns retries off. */
  retry?: false | RetryPolicy;
}

/** A validated, frozen ClientPolicy. */
export interface ResolvedClientPolicy {
  readonly timeoutMs: number | undefined;
  readonly interceptors: readonly InterceptorLike[];
  readonly methods: Readonly<Record<string, Readonly<MethodPolicy>>>;
  readonly balancer: BalancerSpec;
  readonly maxAttempts: number;
}

const POLICY_KEYS = ['timeoutMs', 'interceptors', 'methods', 'balancer', 'retry'] as const;
const METHOD_KEYS = ['timeoutMs', 'idempotent', 'interceptors'] as const;
const RETRY_KEYS = ['maxAttempts'] as const;

function interceptorList(name: string, value: unknown): InterceptorLike[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be an array of interceptors.`);
  }
  value.forEach((i, n) => checkInterceptor(i, `${name}[${n}]`));
  return value as InterceptorLike[];
}

/** Validates a ClientPolicy, fills in defaults and freezes it. Throws RivetConfigError naming the option. */
export function resolveClientPolicy(input: unknown, name = 'ClientPolicy'): ResolvedClientPolicy {
  const p = optionsObject(name, input);
  rejectUnknownKeys(name, p, POLICY_KEYS);
  const methods: Record<string, Readonly<MethodPolicy>> = {};
  for (const [method, raw] of Object.entries(optionsObject(`${name}.methods`, p.methods))) {
    const mName = `${name}.methods.${method}`;
    const m = optionsObject(mName, raw);
    rejectUnknownKeys(mName, m, METHOD_KEYS);
    const resolved: MethodPolicy = {};
    if (m.timeoutMs !== undefined) resolved.timeoutMs = durationMs(`${mName}.timeoutMs`, m.timeoutMs);
    if (m.idempotent !== undefined) resolved.idempotent = bool(`${mName}.idempotent`, m.idempotent);
    if (m.interceptors !== undefined) resolved.interceptors = interceptorList(`${mName}.interceptors`, m.interceptors);
    methods[method] = Object.freeze(resolved);
  }
  let maxAttempts = DEFAULT_MAX_ATTEMPTS;
  if (p.retry === false) {
    maxAttempts = 1;
  } else if (p.retry !== undefined) {
    const r = optionsObject(`${name}.retry`, p.retry);
    rejectUnknownKeys(`${name}.retry`, r, RETRY_KEYS);
    if (r.maxAttempts !== undefined) {
      maxAttempts = positiveInt(`${name}.retry.maxAttempts`, r.maxAttempts, DEFAULT_MAX_ATTEMPTS);
      if (maxAttempts > MAX_ATTEMPTS_CAP) {
        throw new RivetConfigError(
          RivetErrorCode.RIVET_ERR_INVALID_OPTION,
          `${name}.retry.maxAttempts must be at most ${MAX_ATTEMPTS_CAP}, got ${maxAttempts}. More attempts only multiply load on a struggling service.`,
        );
      }
    }
  }
  const balancer = validateBalancerSpec(p.balancer, `${name}.balancer`);
  return Object.freeze({
    timeoutMs: p.timeoutMs === undefined ? undefined : durationMs(`${name}.timeoutMs`, p.timeoutMs),
    interceptors: Object.freeze(interceptorList(`${name}.interceptors`, p.interceptors)),
    methods: Object.freeze(methods),
    balancer,
    maxAttempts,
  });
}
