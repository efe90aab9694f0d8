import type { CallContext, Invoker, Middleware } from '../call';
import { RpcError } from '../errors';
import { monotonicNowMs, type MonotonicClock } from './clock';
import type { ResolvedRateLimitPolicy } from './rate-limit-policy';
import { ResilienceReason } from './reasons';
import { TokenBucket } from './token-bucket';

/** The metadata key a caller may name itself with when it has no verified identity. */
export const CALLER_METADATA_KEY = 'rivet-caller';

// A caller key longer than this is cut: a client must not make the server keep megabytes per key.
const MAX_CALLER_KEY_CHARS = 128;
// When the table is full, forget callers down to this fraction of maxKeys, so the next sweep is
// at least a tenth of maxKeys insertions away (each insertion costs O(1) amortized).
const KEEP_AFTER_SWEEP = 0.9;

/**
 * Who is calling, for `by: 'caller'`: the verified TLS subject, else the `rivet-caller` metadata
 * the client declared, else the peer's host (without the port, so one client's connections
 * share a bucket). The three are prefixed so that one kind cannot collide with another.
 */
export function callerOf(ctx: CallContext): string {
  const subject = ctx.peer?.identity?.subject;
  if (subject) return `id:${subject}`.slice(0, MAX_CALLER_KEY_CHARS);
  const declared = ctx.metadata[CALLER_METADATA_KEY];
  if (declared) return `md:${declared}`.slice(0, MAX_CALLER_KEY_CHARS);
  const address = ctx.peer?.address;
  if (!address) return 'unknown';
  const colon = address.lastIndexOf(':');
  return `ip:${colon > 0 ? address.slice(0, colon) : address}`;
}

/**
 * A server-side rate limiter: one token bucket per service, per method or per caller, as the
 * policy says. One per `@RateLimit` occurrence, shared by the methods it covers. The number of
 * buckets is bounded by `maxKeys`: when full, buckets that have refilled (idle callers; forgetting
 * them loses nothing) go first, then the oldest.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  // by 'method': service → method → bucket, so the hot path concatenates no key string.
  private readonly methodBuckets = new Map<string, Map<string, TokenBucket>>();

  /**
   * @param policy from {@link resolveRateLimitPolicy}.
   * @param now a monotonic clock in milliseconds; default `performance.now()`.
   */
  constructor(
    private readonly policy: ResolvedRateLimitPolicy,
    private readonly now: MonotonicClock = monotonicNowMs,
  ) {}

  /** Takes a token for `ctx`: 0 when allowed, else the milliseconds until a token is due. */
  check(ctx: CallContext): number {
    const nowMs = this.now();
    return this.bucketFor(ctx, nowMs).tryTake(nowMs);
  }

  /**
   * Runs `next(ctx)` when a token is available, else rejects at once with
   * `RpcError('RESOURCE_EXHAUSTED', …, { reason: 'RATE_LIMITED', retryAfterMs })` and
   * `notProcessed: true`; `retryAfterMs` is the time until the bucket holds a token.
   */
  run<C extends CallContext>(next: Invoker<C>, ctx: C): Promise<unknown> {
    const retryAfterMs = this.check(ctx);
    if (retryAfterMs === 0) return next(ctx);
    return Promise.reject(
      new RpcError(
        'RESOURCE_EXHAUSTED',
        `rate limit of ${this.policy.perSecond} calls/s (by ${this.policy.by}) exceeded; retry in ${retryAfterMs} ms`,
        { reason: ResilienceReason.RATE_LIMITED, retryAfterMs },
        { notProcessed: true },
      ),
    );
  }

  /** This limiter as a Middleware: compose it once per method it covers. */
  middleware<C extends CallContext = CallContext>(): Middleware<C> {
    return (next) => (ctx) => this.run(next, ctx);
  }

  /** Buckets kept now (for metrics and tests). */
  get size(): number {
    let n = this.buckets.size;
    for (const m of this.methodBuckets.values()) n += m.size;
    return n;
  }

  private bucketFor(ctx: CallContext, nowMs: number): TokenBucket {
    if (this.policy.by === 'method') {
      let methods = this.methodBuckets.get(ctx.service);
      if (methods === undefined) this.methodBuckets.set(ctx.service, (methods = new Map()));
      let b = methods.get(ctx.method);
      if (b === undefined) methods.set(ctx.method, (b = this.newBucket(nowMs)));
      return b;
    }
    const key = this.policy.by === 'service' ? ctx.service : callerOf(ctx);
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.policy.maxKeys) this.sweep(nowMs);
      this.buckets.set(key, (b = this.newBucket(nowMs)));
    }
    return b;
  }

  private newBucket(nowMs: number): TokenBucket {
    return new TokenBucket(this.policy.perSecond, this.policy.burst, nowMs);
  }

  // Forgets full buckets (lossless), then the oldest ones, down to KEEP_AFTER_SWEEP of maxKeys.
  // A forgotten active caller starts again with a full bucket: the bound is on memory, and
  // errs on the lenient side.
  private sweep(nowMs: number): void {
    for (const [key, b] of this.buckets) if (b.isFull(nowMs)) this.buckets.delete(key);
    const keep = Math.floor(this.policy.maxKeys * KEEP_AFTER_SWEEP);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= keep) break;
      this.buckets.delete(key);
    }
  }
}

/** A Middleware that runs every call through `limiter` (see {@link RateLimiter.run}). */
export function rateLimitMiddleware<C extends CallContext = CallContext>(limiter: RateLimiter): Middleware<C> {
  return limiter.middleware();
}
