import { composeMiddleware, type Invoker, type Middleware } from '../call';
import { type Bulkhead, fallbackMiddleware, type RetryBudget, retryMiddleware } from '../resilience';
import type { ClientCall } from './client-call';
import { deadlineStage } from './deadline-stage';
import { hedgeStage } from './hedge-stage';
import type { ResolvedMethodPolicy } from './method-policy';

/*
 * The order of the client pipeline, written down once:
 *
 *   proxy → interceptors (global → target → method) → fallback → deadline → bulkhead
 *         → retry or hedge → resolve → pick → breaker → channel → wire
 *
 * - Interceptors outermost: they see the call as the user made it, once, however many attempts
 *   it takes, and can short-circuit before any network work.
 * - Fallback above deadline: it turns the final failure, a timeout included, into a value, after
 *   retries and breaker have given up.
 * - Deadline above bulkhead and retry: waiting for a bulkhead slot, all attempts and all backoff
 *   share the caller's one budget; retry never sleeps past the deadline.
 * - Bulkhead above retry: a call holds one slot for all its attempts, so retries cannot exceed
 *   the target's concurrency.
 * - Retry (or hedge) above resolve and pick: each attempt picks again, so a retry can land on
 *   another instance (grpc-js makes a new pick per attempt, go-kit's lb.Retry wraps a balancer).
 * - Breaker below pick: a breaker belongs to one endpoint, so one sick instance is shed while
 *   its healthy peers keep serving; the balancer skips endpoints whose breaker is open.
 * Resolve, pick, breaker and channel are one stage (TargetRouter): resolving reads a cache the
 * registry watch keeps current. Built once per (proxy, method), never per call.
 */

/** The pieces of one method's client chain. */
export interface ClientPipelineParts {
  globalMiddlewares: readonly Middleware[];
  targetMiddlewares: readonly Middleware[];
  methodMiddlewares: readonly Middleware[];
  policy: ResolvedMethodPolicy;
  /** The target's bulkhead, shared by its methods. */
  bulkhead: Bulkhead | undefined;
  /** The target's retry budget, shared by its methods. */
  budget: RetryBudget;
  /** Resolve, pick and send one attempt. */
  route: Invoker;
}

function isIdempotent(ctx: unknown): boolean {
  return (ctx as ClientCall).idempotent;
}

function retriesAllowed(ctx: unknown): boolean {
  return (ctx as ClientCall).retriesAllowed;
}

/** Composes one method's client chain. */
export function buildClientPipeline(parts: ClientPipelineParts): Invoker {
  const { policy } = parts;
  const stages: Middleware[] = [...parts.globalMiddlewares, ...parts.targetMiddlewares, ...parts.methodMiddlewares];
  if (policy.fallback !== undefined) stages.push(fallbackMiddleware(policy.fallback));
  stages.push(deadlineStage);
  if (parts.bulkhead !== undefined) stages.push(parts.bulkhead.middleware());
  if (policy.hedge !== false) {
    stages.push(hedgeStage(policy.hedge));
  } else if (policy.retry.maxAttempts > 1) {
    stages.push(retryMiddleware({ policy: policy.retry, idempotent: isIdempotent, budget: parts.budget, allowRetry: retriesAllowed }));
  }
  return composeMiddleware(stages, parts.route);
}
