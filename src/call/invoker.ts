import type { CallContext } from './call-context';

/** One stage's view of "the rest of the call". */
export type Invoker = (ctx: CallContext) => Promise<unknown>;

/** A stage: given the rest of the chain, returns the chain with this stage in front. */
export type Middleware = (next: Invoker) => Invoker;

/**
 * `next(ctx)`, with a synchronous throw turned into a rejection, as an `await` would: for stages
 * that are not `async` functions (one on every call costs a promise, its await and their closures).
 */
export function invokeNext(next: Invoker, ctx: CallContext): Promise<unknown> {
  try {
    return next(ctx);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Wraps `last` in `stages`, first stage outermost. Call it once per method, never per call. */
export function composeMiddleware(stages: readonly Middleware[], last: Invoker): Invoker {
  let next = last;
  for (let i = stages.length - 1; i >= 0; i--) next = stages[i](next);
  return next;
}
