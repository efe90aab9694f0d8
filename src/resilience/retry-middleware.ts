import type { Middleware } from '../call';
import { isRpcError } from '../errors';
import { abortableSleep } from './abortable-sleep';
import { decideRetry } from './decide-retry';
import type { RetryBudget } from './retry-budget';
import type { ResolvedRetryPolicy } from './retry-policy';

/** What one method's retry stage needs; fixed when its chain is built. */
export interface RetryMiddlewareOptions {
  /** From {@link resolveRetryPolicy}, after merging the layers with {@link mergePolicies}. */
  policy: ResolvedRetryPolicy;
  /** The method is safe to run twice: failures that may have reached a handler can be retried. */
  idempotent: boolean;
  /** The target service's budget, shared by its methods. Without one, retries are not throttled. */
  budget?: RetryBudget;
  /** Wall clock for the call's deadline (epoch ms, like `ctx.deadline`). Default `Date.now`. */
  now?: () => number;
  /** Uniform random in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
}

/**
 * The retry stage of one method's client chain. Sits below the deadline stage (so all attempts
 * and sleeps share one deadline) and above resolve/pick (so each attempt picks again). Each call
 * is counted in the budget once; each retry is asked of {@link decideRetry}, then of the budget.
 * When it stops it sets `err.stoppedBy` and rethrows the last attempt's error unchanged. A sleep
 * ends early when `ctx.signal` aborts, rejecting with the abort reason.
 */
export function retryMiddleware(options: RetryMiddlewareOptions): Middleware {
  const { policy, idempotent, budget } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  if (policy.maxAttempts <= 1) return (next) => next;
  return (next) => async (ctx) => {
    budget?.recordCall();
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(ctx);
      } catch (err) {
        // Aborted (deadline or caller): the stage above reports the abort reason; stop here.
        if (ctx.signal.aborted) throw err;
        const remainingMs = ctx.deadline === undefined ? undefined : ctx.deadline - now();
        const decision = decideRetry(attempt, policy, err, idempotent, remainingMs, random);
        if (!decision.retry) {
          if (isRpcError(err)) err.stoppedBy = decision.stoppedBy;
          throw err;
        }
        if (budget !== undefined && !budget.tryAcquireRetry()) {
          if (isRpcError(err)) err.stoppedBy = 'budget';
          throw err;
        }
        if (decision.delayMs > 0) await abortableSleep(decision.delayMs, ctx.signal);
      }
    }
  };
}
