import type { Middleware } from '../call';
import { ErrorReason, RpcError, toRpcError } from '../errors';
import type { ClientAttempt } from './client-attempt';
import { failureKind } from './failure-kind';
import type { RetryBudget } from './retry-budget';

/** A validated hedge policy (the client validates `HedgePolicy` into it). */
export interface ResolvedHedgePolicy {
  readonly delayMs: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
}

/**
 * Hedged calls, for idempotent methods: the first attempt goes out at once, and while no reply
 * has come, another goes out every `delayMs` (to an endpoint the call has not used, when there is
 * one), up to `maxAttempts`. The first success wins and every other attempt is cancelled (a cancel
 * frame goes to its server, whose handler's signal aborts). A business error ends the call at
 * once; other failures wait for the attempts still running, and launch the next one early.
 * Hedging takes the place of retry in a method's chain (as in gRPC, a method has one or the other).
 * Each attempt after the first takes a retry from the target's `budget`; when it is spent, no more
 * attempts go out, and a call whose attempts all failed stops with `stoppedBy: 'budget'`.
 */
export function hedgeStage<C extends ClientAttempt<C>>(policy: ResolvedHedgePolicy, budget: RetryBudget): Middleware<C> {
  return (next) => (ctx) => {
    budget.recordCall();
    return new Promise((resolve, reject) => {
      const parent = ctx;
      const running = new Set<C>();
      let launched = 0;
      let done = false;
      let timer: NodeJS.Timeout | undefined;

      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        for (const attempt of running) {
          attempt.abort(new RpcError('CANCELLED', 'another hedged attempt answered first', { reason: ErrorReason.CANCELLED_BY_CALLER }));
          parent.release(attempt);
        }
        running.clear();
      };
      // False when the budget refused another attempt.
      const launch = (): boolean => {
        if (launched > 0 && !budget.tryAcquireRetry()) return false;
        launched++;
        const attempt = parent.fork();
        if (launched > 1) {
          attempt.metadata['rivet-hedge'] = String(launched);
          // Steer the hedge away from the endpoints still working on this call: the router leaves
          // a call's failed endpoints out while others remain, and the list is shared by the forks.
          const avoid = (attempt.failedEndpoints ??= []);
          for (const other of running) if (other.endpoint !== null && !avoid.includes(other.endpoint.address)) avoid.push(other.endpoint.address);
        }
        running.add(attempt);
        if (launched < policy.maxAttempts) timer = setTimeout(launch, policy.delayMs);
        next(attempt).then(
          (value) => {
            running.delete(attempt);
            parent.release(attempt);
            if (done) return;
            parent.peer = attempt.peer;
            finish();
            resolve(value);
          },
          (err: unknown) => {
            running.delete(attempt);
            parent.release(attempt);
            if (done) return;
            const kind = failureKind(err);
            if (kind === 'business' || kind === 'cancelled' || parent.aborted) {
              finish();
              reject(parent.abortReason ?? toRpcError(err));
            } else if (running.size === 0) {
              clearTimeout(timer);
              if (launched >= policy.maxAttempts) {
                finish();
                reject(toRpcError(err));
              } else if (!launch()) {
                finish();
                const e = toRpcError(err);
                e.stoppedBy = 'budget';
                reject(e);
              }
            }
          },
        );
        return true;
      };
      launch();
    });
  };
}
