import type { CallContext } from './call-context';

/**
 * One stage's view of "the rest of the call". `C` is the context the chain carries: the plain
 * `CallContext` on the server, the client's own call (with its attempt state) on the client.
 */
export type Invoker<C extends CallContext = CallContext> = (ctx: C) => Promise<unknown>;

/**
 * A stage: given the rest of the chain, returns the chain with this stage in front. A stage that
 * only reads the public fields is written generic (`<C extends CallContext>(…): Middleware<C>`),
 * so the one function serves the server's chain and the client's typed one.
 */
export type Middleware<C extends CallContext = CallContext> = (next: Invoker<C>) => Invoker<C>;

/**
 * `next(ctx)`, with a synchronous throw turned into a rejection, as an `await` would: for stages
 * that are not `async` functions (one on every call costs a promise, its await and their closures).
 */
export function invokeNext<C extends CallContext>(next: Invoker<C>, ctx: C): Promise<unknown> {
  try {
    return next(ctx);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Wraps `last` in `stages`, first stage outermost. Call it once per method, never per call. */
export function composeMiddleware<C extends CallContext>(stages: readonly Middleware<C>[], last: Invoker<C>): Invoker<C> {
  let next = last;
  for (let i = stages.length - 1; i >= 0; i--) next = stages[i](next);
  return next;
}
