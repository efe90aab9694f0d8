import { RivetConfigError, RivetErrorCode } from '../errors';
import type { BreakerPolicy, BulkheadPolicy, Fallback, RateLimitPolicy, RetryPolicy } from '../resilience';
import { RESILIENCE_KEY } from './metadata-store';

/** Hedging: when no reply came after `delayMs`, a second attempt goes to another endpoint. */
export interface HedgePolicy {
  delayMs: number;
  /** Attempts in all, the first included. Default 2. */
  maxAttempts?: number;
}

/**
 * What the resilience decorators record on a class or a method. Validated when a client or an
 * app reads it (so a bad value names its decorator and member), never on a call.
 */
export interface ResilienceMetadata {
  retry?: RetryPolicy | false;
  breaker?: BreakerPolicy | false;
  timeoutMs?: number;
  fallback?: Fallback | string;
  hedge?: HedgePolicy | false;
  bulkhead?: BulkheadPolicy;
  rateLimit?: RateLimitPolicy;
}

type Key = keyof ResilienceMetadata;

function record(decorator: string, key: Key, value: unknown): ClassDecorator & MethodDecorator {
  return ((target: object, propertyKey?: string | symbol) => {
    if (typeof propertyKey === 'symbol') {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@${decorator} cannot go on a symbol-named member.`);
    }
    // Class level lives on the constructor under '', method level on the prototype under its name.
    const host = target;
    const slot = propertyKey ?? '';
    let byMember = Reflect.getOwnMetadata(RESILIENCE_KEY, host) as Map<string, ResilienceMetadata> | undefined;
    if (byMember === undefined) {
      byMember = new Map();
      Reflect.defineMetadata(RESILIENCE_KEY, byMember, host);
    }
    const meta = { ...(byMember.get(slot) ?? {}) };
    (meta as Record<string, unknown>)[key] = value;
    byMember.set(slot, meta);
  }) as ClassDecorator & MethodDecorator;
}

/** Retries for calls to this service or method, as a client holding the class sees them; `false` turns retries off. */
export function Retry(policy: RetryPolicy | false): ClassDecorator & MethodDecorator {
  return record('Retry', 'retry', policy);
}

/** Circuit breaker settings (opossum) for calls to this service or method; `false` turns it off. */
export function CircuitBreaker(policy: BreakerPolicy | false): ClassDecorator & MethodDecorator {
  return record('CircuitBreaker', 'breaker', policy);
}

/** The deadline of calls to this service or method, in ms; the tighter of all set values wins. */
export function Timeout(ms: number): ClassDecorator & MethodDecorator {
  if (typeof ms !== 'number' || !(ms > 0) || ms > 2_147_483_647) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Timeout needs a number of milliseconds > 0, got ${String(ms)}.`);
  }
  return record('Timeout', 'timeoutMs', ms);
}

/**
 * The value a client returns when a call to this service or method fails after retries and
 * breaker gave up: a function `(err, ctx) => value`, or the name of a method of the class (called
 * with `(err, ctx)` on the client, without an instance: it must not use `this`).
 */
export function Fallback(fnOrMethodName: Fallback | string): ClassDecorator & MethodDecorator {
  if (typeof fnOrMethodName !== 'function' && (typeof fnOrMethodName !== 'string' || fnOrMethodName === '')) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, '@Fallback needs a function (err, ctx) => value or a method name.');
  }
  return record('Fallback', 'fallback', fnOrMethodName);
}

/** Hedged calls (idempotent methods only); `false` turns hedging off. */
export function Hedge(policy: HedgePolicy | false): ClassDecorator & MethodDecorator {
  return record('Hedge', 'hedge', policy);
}

/**
 * At most `maxConcurrent` calls running at once (and `maxQueue` waiting). On a `@Service` class or
 * method it limits the server side, per method; beyond it calls get RESOURCE_EXHAUSTED at once.
 */
export function Bulkhead(policy: BulkheadPolicy): ClassDecorator & MethodDecorator {
  return record('Bulkhead', 'bulkhead', policy);
}

/**
 * A server-side token bucket for this service or method: `perSecond` tokens, `burst` at most,
 * per service, per method or per caller. Rejections are RESOURCE_EXHAUSTED with `retryAfterMs`.
 */
export function RateLimit(policy: RateLimitPolicy): ClassDecorator & MethodDecorator {
  return record('RateLimit', 'rateLimit', policy);
}

/** What the resilience decorators recorded on a class (`member` undefined) or one of its methods. */
export function getResilienceMetadata(cls: Function, member?: string): ResilienceMetadata | undefined {
  if (member === undefined) {
    return (Reflect.getOwnMetadata(RESILIENCE_KEY, cls) as Map<string, ResilienceMetadata> | undefined)?.get('');
  }
  for (let proto = cls.prototype as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const meta = (Reflect.getOwnMetadata(RESILIENCE_KEY, proto) as Map<string, ResilienceMetadata> | undefined)?.get(member);
    if (meta !== undefined) return meta;
  }
  return undefined;
}
