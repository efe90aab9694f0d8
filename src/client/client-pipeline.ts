import { composeMiddleware, deadlineStage, type Invoker, type Middleware, withAttempts } from '../call';
import { type Bulkhead, type Fallback, fallbackMiddleware, hedgeStage, type RetryBudget, retryMiddleware } from '../resilience';
import type { ClientCall } from './client-call';
import type { ResolvedMethodPolicy } from './method-policy';

/*
 * The order of the client pipeline, written down once:
 *
 *   proxy → interceptors (global → target → method) → fallback → deadline → bulkhead
 *         → retry or hedge → attempt interceptors → resolve → pick → breaker → channel → wire
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
 * - Attempt interceptors (`Interceptor.interceptAttempt`) right below retry or hedge: they see
 *   each attempt once (tracing makes a child span per attempt), and only in methods that can
 *   make more than one.
 * - Breaker below pick: a breaker belongs to one endpoint, so one sick instance is shed while
 *   its healthy peers keep serving; the balancer skips endpoints whose breaker is open.
 * Resolve, pick, breaker and channel are one stage (TargetRouter): resolving reads a cache the
 * registry watch keeps current. Built once per (proxy, method), never per call.
 *
 * Every stage is typed over the client's call (`Middleware<ClientCall>`): the deadline stage
 * (call/) reads its deadline and abort, retry and hedge (resilience/) its idempotency, retry
 * policy and forks, the router its attempt log. Where each stage lives says what it may know.
 */

/** The pieces of one method's client chain. */
export interface ClientPipelineParts {
  globalMiddlewares: readonly Middleware<ClientCall>[];
  targetMiddlewares: readonly Middleware<ClientCall>[];
  methodMiddlewares: readonly Middleware<ClientCall>[];
  policy: ResolvedMethodPolicy;
  /** The target's bulkhead, shared by its methods. */
  bulkhead: Bulkhead | undefined;
  /** The target's retry budget, shared by its methods. */
  budget: RetryBudget;
  /** Resolve, pick and send one attempt. */
  route: Invoker<ClientCall>;
  /** Whether a shed attempt may be retried: another endpoint can take it and most are not shedding (the router's). */
  elsewhere?: (ctx: ClientCall, err: unknown) => boolean;
  /**
   * Per-attempt stages (the global interceptors' `interceptAttempt`, e.g. tracing's attempt
   * spans), right below retry or hedge. Left out of methods that make one attempt only.
   */
  attemptMiddlewares?: readonly Middleware<ClientCall>[];
}

/** The fallback sees the final error with its attempts listed, as the caller would. */
function seeingAttempts(fallback: Fallback): Fallback<unknown, ClientCall> {
  return (err, ctx) => fallback(withAttempts(err, ctx), ctx);
}

/** Chooses hedge or retry per call, by what the call knows of the method; both chains are built once. */
function hedgeWhenIdempotent(hedge: Middleware<ClientCall>, retry: Middleware<ClientCall>): Middleware<ClientCall> {
  return (next) => {
    const hedged = hedge(next);
    const retried = retry(next);
    // A stream is never hedged: two copies of it would both stream.
    return (ctx) => (ctx.idempotent && ctx.streamState === null ? hedged(ctx) : retried(ctx));
  };
}

/** One method's composed client chain. */
export interface ClientPipeline {
  readonly invoke: Invoker<ClientCall>;
  /**
   * True when the deadline stage is outermost (no interceptors, no fallback): every rejection of
   * `invoke` then already lists the call's attempts, and the caller need not chain its own `.then`.
   */
  readonly errorsListAttempts: boolean;
}

/** Composes one method's client chain. */
export function buildClientPipeline(parts: ClientPipelineParts): ClientPipeline {
  const { policy } = parts;
  const stages: Middleware<ClientCall>[] = [...parts.globalMiddlewares, ...parts.targetMiddlewares, ...parts.methodMiddlewares];
  if (policy.fallback !== undefined) stages.push(fallbackMiddleware(seeingAttempts(policy.fallback)));
  const errorsListAttempts = stages.length === 0;
  stages.push(deadlineStage);
  if (parts.bulkhead !== undefined) stages.push(parts.bulkhead.middleware());
  let attempts = false;
  // In the chain even when the method's retries are off: a call may turn them on (CallOptions.retry).
  // It reads the call's idempotency, its own policy and whether retries are allowed from the call.
  const retry = (): Middleware<ClientCall> => retryMiddleware<ClientCall>({ policy: policy.retry, budget: parts.budget, elsewhere: parts.elsewhere });
  if (policy.hedge !== false) {
    const hedge = hedgeStage<ClientCall>(policy.hedge, parts.budget);
    // A method whose idempotency the server's handshake will tell (a call by name): each call
    // hedges once it is known to be idempotent, and retries as any other method until then.
    stages.push(hedgeWhenIdempotent(hedge, retry()));
    attempts = true;
  } else {
    stages.push(retry());
    attempts = policy.retry.maxAttempts > 1;
  }
  // Attempt stages sit between retry (or hedge) and resolve, so each attempt passes them once.
  if (attempts && parts.attemptMiddlewares !== undefined) stages.push(...parts.attemptMiddlewares);
  return { invoke: composeMiddleware(stages, parts.route), errorsListAttempts };
}
