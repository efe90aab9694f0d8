import { oneOf, optionsObject, positiveInt, rejectUnknownKeys } from '../util';
import { finiteInRange, invalidOption } from './policy-checks';

/** What a rate limiter counts separately: all calls of the service, each method, or each caller. */
export type RateLimitKey = 'service' | 'method' | 'caller';

/** The most per-caller buckets a limiter keeps by default before it forgets idle ones. */
export const DEFAULT_RATE_LIMIT_MAX_KEYS = 10_000;

/** A server-side token bucket (`@RateLimit`). Past it, calls get `RESOURCE_EXHAUSTED` (`RATE_LIMITED`). */
export interface RateLimitPolicy {
  /** Calls per second, sustained. Required, > 0 (0.5 is one call every 2 s). */
  perSecond: number;
  /** Calls allowed at once after a quiet spell (the bucket's size). Default `max(1, ceil(perSecond))`, an integer >= 1. */
  burst?: number;
  /** One bucket for the whole service, per method, or per caller. Default 'service'. */
  by?: RateLimitKey;
  /** With `by: 'caller'`, the most callers tracked at once; idle ones are forgotten first. Default 10000. */
  maxKeys?: number;
}

/** A validated, frozen {@link RateLimitPolicy}. */
export interface ResolvedRateLimitPolicy {
  readonly perSecond: number;
  readonly burst: number;
  readonly by: RateLimitKey;
  readonly maxKeys: number;
}

const RATE_LIMIT_KEYS = ['perSecond', 'burst', 'by', 'maxKeys'] as const;
const BY: readonly RateLimitKey[] = ['service', 'method', 'caller'];
const MAX_PER_SECOND = 1e9;

/**
 * Validates a RateLimitPolicy, fills in defaults and freezes it. Throws RivetConfigError:
 * RIVET_ERR_UNKNOWN_OPTION for an unknown key, RIVET_ERR_INVALID_OPTION when `perSecond` is
 * missing or <= 0, `burst` or `maxKeys` is not an integer >= 1, or `by` is not one of the three.
 */
export function resolveRateLimitPolicy(input: unknown, name = 'RateLimitPolicy'): ResolvedRateLimitPolicy {
  if (input === undefined) invalidOption(`${name} needs perSecond, the calls allowed per second, e.g. { perSecond: 100 }.`);
  const p = optionsObject(name, input);
  rejectUnknownKeys(name, p, RATE_LIMIT_KEYS);
  if (p.perSecond === undefined) invalidOption(`${name}.perSecond is required: the calls allowed per second, e.g. { perSecond: 100 }.`);
  const perSecond = finiteInRange(`${name}.perSecond`, p.perSecond, {
    min: 0,
    max: MAX_PER_SECOND,
    minExclusive: true,
    meaning: 'calls per second; to stop all calls, do not expose the method',
  });
  const defaultBurst = Math.max(1, Math.ceil(perSecond));
  return Object.freeze({
    perSecond,
    burst: positiveInt(`${name}.burst`, p.burst ?? defaultBurst, defaultBurst),
    by: oneOf(`${name}.by`, p.by ?? 'service', BY),
    maxKeys: positiveInt(`${name}.maxKeys`, p.maxKeys ?? DEFAULT_RATE_LIMIT_MAX_KEYS, DEFAULT_RATE_LIMIT_MAX_KEYS),
  });
}
