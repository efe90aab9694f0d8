import { composeMiddleware, type Invoker, type Middleware } from '../call';
import { deadlineStage } from './deadline-stage';
import { retryStage } from './retry-stage';

/*
 * The order of the client pipeline, written down once:
 *
 *   proxy → interceptors (global → target → method) → deadline → retry → resolve → pick → channel → wire
 *
 * - Interceptors outermost: they see the call as the user made it, once, however many attempts
 *   it takes, and can short-circuit before any network work.
 * - Deadline above retry: all attempts and all backoff share the caller's one budget; retry never
 *   sleeps past the deadline.
 * - Retry above resolve and pick: each attempt picks again, so a retry can land on another
 *   instance (grpc-js makes a new pick per attempt, go-kit's lb.Retry wraps the balancer).
 * - Resolve, pick and channel are one stage (TargetRouter): resolving reads a cache the registry
 *   watch keeps current, so it costs nothing per call.
 * Built once per (proxy, method), never per call.
 */

/** The pieces of one method's client chain. */
export interface ClientPipelineParts {
  globalMiddlewares: readonly Middleware[];
  targetMiddlewares: readonly Middleware[];
  methodMiddlewares: readonly Middleware[];
  maxAttempts: number;
  /** Resolve, pick and send one attempt. */
  route: Invoker;
}

/** Composes one method's client chain. */
export function buildClientPipeline(parts: ClientPipelineParts): Invoker {
  const stages: Middleware[] = [...parts.globalMiddlewares, ...parts.targetMiddlewares, ...parts.methodMiddlewares, deadlineStage];
  if (parts.maxAttempts > 1) stages.push(retryStage(parts.maxAttempts));
  return composeMiddleware(stages, parts.route);
}
