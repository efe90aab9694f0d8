import type { Middleware } from '../call';
import { type Invoker, invokeNext } from '../call/invoker';
import { ErrorReason, isRpcError, reasonOf, type RpcError, type StoppedBy } from '../errors';
import { abortableSleep } from './abortable-sleep';
import type { RetryableCall } from './client-attempt';
import { decideRetry } from './decide-retry';
import type { RetryBudget } from './retry-budget';
import type { ResolvedRetryPolicy } from './retry-policy';

/**
 * The error a call that stops retrying returns. When retries failed without reaching a server
 * (no endpoint left, breakers open, connection refused) after an attempt that did reach one, the
 * failure from the server says more than the refusals: return it, with why the client stopped.
 * Every attempt is in `err.attempts` either way.
 */
function stopWith(err: unknown, lastReached: RpcError | undefined, stoppedBy: StoppedBy): unknown {
  if (lastReached !== undefined && isRpcError(err) && err.notProcessed) {
    lastReached.stoppedBy = reasonOf(err) === ErrorReason.BREAKER_OPEN ? 'breaker' : stoppedBy;
    return lastReached;
  }
  if (isRpcError(err)) err.stoppedBy = stoppedBy;
  return err;
}

/** True for an attempt an overloaded server shed, or the client's throttle refused. */
function isShed(err: unknown): boolean {
  const reason = reasonOf(err);
  return reason === ErrorReason.OVERLOADED || reason === ErrorReason.THROTTLED;
}

/** Metadata key carrying the attempt number (2, 3, ...) of a retried call. */
export const RETRY_ATTEMPT_METADATA_KEY = 'rivet-attempt';

/** What one method's retry stage needs; fixed when its chain is built. */
export interface RetryMiddlewareOptions<C extends RetryableCall = RetryableCall> {
  /** From {@link resolveRetryPolicy}, after merging the layers with {@link mergePolicies}. */
  policy: ResolvedRetryPolicy;
  /**
   * The method is safe to run twice: failures that may have reached a handler can be retried.
   * A call's own `idempotent` wins (read after each failure: a call by name learns it from the server).
   */
  idempotent?: boolean;
  /** The target service's budget, shared by its methods. Without one, retries are not throttled. */
  budget?: RetryBudget;
  /** Wall clock for the call's deadline (epoch ms, like `ctx.deadline`). Default `Date.now`. */
  now?: () => number;
  /** Uniform random in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
  /**
   * Asked before retrying an attempt an overloaded server shed (or the client's own throttle
   * refused): false when no other endpoint could take it, or most endpoints of the target are
   * shedding. The call then stops with `stoppedBy: 'overloaded'`: retrying into a saturated
   * fleet only adds to its load. Without it, such attempts are retried like any not-processed one.
   */
  elsewhere?: (ctx: C, err: unknown) => boolean;
}

/**
 * The retry stage of one method's client chain. Sits below the deadline stage (so all attempts
 * and sleeps share one deadline) and above resolve/pick (so each attempt picks again). Each call
 * is counted in the budget once; each retry is asked of {@link decideRetry}, then of the budget.
 * When it stops it sets `err.stoppedBy` and rethrows the last attempt's error unchanged. A sleep
 * ends early when `ctx.signal` aborts, rejecting with the abort reason.
 */
export function retryMiddleware<C extends RetryableCall = RetryableCall>(options: RetryMiddlewareOptions<C>): Middleware<C> {
  const { budget } = options;
  const idempotent = options.idempotent ?? false;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  // In the chain even when `policy` allows one attempt: a call may set its own (`ctx.retryPolicy`).
  // Not an `async` function: most calls succeed at once, and one on every call cost a promise, its
  // await and their closures. The first attempt is chained with one `.then`; only a failure
  // enters the retry loop.
  return (next) => (ctx) => {
    budget?.recordCall();
    const policy = ctx.retryPolicy ?? options.policy;
    if (policy.maxAttempts <= 1 || ctx.retriesAllowed === false) return invokeNext(next, ctx);
    return invokeNext(next, ctx).then(undefined, (err: unknown) => retryAfterFailure(err, ctx, next, policy));
  };

  /** The loop after the first attempt failed with `first`: decide, maybe sleep, try again. */
  async function retryAfterFailure(first: unknown, ctx: C, next: Invoker<C>, policy: ResolvedRetryPolicy): Promise<unknown> {
    let err = first;
    let lastReached: RpcError | undefined;
    for (let attempt = 1; ; attempt++) {
      // Aborted (deadline or caller): the stage above reports the abort reason; stop here.
      if (ctx.signal.aborted) throw err;
      // A stream that committed (a message arrived, or input was taken) cannot be replayed.
      if (ctx.retriesAllowed === false) throw err;
      const remainingMs = ctx.deadline === undefined ? undefined : ctx.deadline - now();
      const safe = ctx.idempotent ?? idempotent;
      const decision = decideRetry(attempt, policy, err, safe, remainingMs, random);
      if (!decision.retry) throw stopWith(err, lastReached, decision.stoppedBy);
      if (options.elsewhere !== undefined && isShed(err) && !options.elsewhere(ctx, err)) throw stopWith(err, lastReached, 'overloaded');
      if (budget !== undefined && !budget.tryAcquireRetry()) throw stopWith(err, lastReached, 'budget');
      if (isRpcError(err) && !err.notProcessed) lastReached = err;
      if (decision.delayMs > 0) await abortableSleep(decision.delayMs, ctx.signal);
      // The server sees which attempt this is, and does not retry its own downstream calls.
      ctx.metadata[RETRY_ATTEMPT_METADATA_KEY] = String(attempt + 1);
      try {
        return await next(ctx);
      } catch (e) {
        err = e;
      }
    }
  }
}
