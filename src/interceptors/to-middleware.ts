import type { CallContext, Invoker, Middleware } from '../call';
import { RivetConfigError, RivetErrorCode } from '../errors';
import type { Interceptor, InterceptorClass, InterceptorFn, InterceptorLike } from './interceptor';

/** True when `x` is a class whose instances have `intercept` (resolve it before adapting it). */
export function isInterceptorClass(x: unknown): x is InterceptorClass {
  return typeof x === 'function' && typeof (x as { prototype?: { intercept?: unknown } }).prototype?.intercept === 'function';
}

/**
 * Checks an interceptor at construction (undici's compose does the same), so a malformed one
 * fails at startup and not on the first call. Throws RivetConfigError.
 */
export function checkInterceptor(x: unknown, where: string): asserts x is InterceptorLike {
  if (typeof x === 'function') return;
  if (typeof x === 'object' && x !== null && typeof (x as Interceptor).intercept === 'function') return;
  throw new RivetConfigError(
    RivetErrorCode.RIVET_ERR_INTERCEPTOR,
    `${where}: an interceptor must be an object with intercept(ctx, next), a function (ctx, next) => ..., or a class with an intercept method; got ${x === null ? 'null' : typeof x}.`,
  );
}

/**
 * Adapts a resolved interceptor (an instance or a function, not a class) into a Middleware.
 * Done once per method when its chain is built.
 */
export function toMiddleware<C extends CallContext = CallContext>(interceptor: Interceptor | InterceptorFn): Middleware<C> {
  return adapt<C>(typeof interceptor === 'function' ? interceptor : (ctx, next) => interceptor.intercept(ctx, next));
}

/**
 * The attempt stage of an interceptor that has `interceptAttempt`, or null when it has none.
 * Built once per client, like toMiddleware.
 */
export function toAttemptMiddleware<C extends CallContext = CallContext>(interceptor: Interceptor | InterceptorFn): Middleware<C> | null {
  if (typeof interceptor === 'function' || typeof interceptor.interceptAttempt !== 'function') return null;
  const attempt = interceptor as Required<Interceptor>;
  return adapt<C>((ctx, next) => attempt.interceptAttempt(ctx, next));
}

/**
 * The stage that runs `run(ctx, next)` for each call.
 *
 * Not an `async` wrapper: one per interceptor per call cost a promise and the microtask turns of
 * adopting the interceptor's own promise. `settle` gives the same outcome: a promise back as it
 * is, a plain value resolved, a synchronous throw rejected. The `() => next(ctx)` closure stays:
 * `next()` takes no arguments and calls overlap, so each call needs its own.
 */
function adapt<C extends CallContext>(run: InterceptorFn): Middleware<C> {
  return (next: Invoker<C>): Invoker<C> =>
    (ctx) => {
      try {
        return settle(run(ctx, () => next(ctx)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
}

/** What an interceptor returned, as the promise an `async` wrapper would have made of it. */
function settle(result: unknown): Promise<unknown> {
  return result instanceof Promise ? result : Promise.resolve(result);
}
