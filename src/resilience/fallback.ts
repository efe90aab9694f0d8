import type { CallContext, Middleware } from '../call';
import { RivetConfigError, RivetErrorCode, toRpcError, type RpcError } from '../errors';
import { describeValue } from '../util';

/**
 * What a call returns when everything else failed: given the final error (after retries, breaker
 * and deadline) and the call's context, return a value (or a promise of one), or throw to fail
 * the call after all.
 */
export type Fallback<T = unknown, C extends CallContext = CallContext> = (err: RpcError, ctx: C) => T | Promise<T>;

/**
 * A Middleware that turns a failed call into `fallback(err, ctx)`'s value. Sits outermost among
 * the resilience stages (above deadline and retry), so it sees only the final error. A call the
 * caller cancelled (`CANCELLED`) is not rescued: nobody waits for its value. What the fallback
 * throws rejects the call, as an RpcError (`UNKNOWN` unless it threw one).
 * Throws RivetConfigError (RIVET_ERR_INVALID_OPTION) when `fallback` is not a function.
 */
export function fallbackMiddleware<T, C extends CallContext = CallContext>(fallback: Fallback<T, C>, name = 'fallback'): Middleware<C> {
  if (typeof fallback !== 'function') {
    throw new RivetConfigError(
      RivetErrorCode.RIVET_ERR_INVALID_OPTION,
      `${name} must be a function (err, ctx) => value, got ${describeValue(fallback)}.`,
    );
  }
  return (next) => async (ctx) => {
    try {
      return await next(ctx);
    } catch (thrown) {
      const err = toRpcError(thrown);
      if (err.code === 'CANCELLED') throw err;
      try {
        return await fallback(err, ctx);
      } catch (fromFallback) {
        throw toRpcError(fromFallback);
      }
    }
  };
}
