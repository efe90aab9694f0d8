import type { CallContext } from '../call';

/** Runs the rest of the chain (the next interceptor, or the call itself) and returns its result. */
export type Next = () => Promise<unknown>;

/**
 * Wraps every call on one side. Call `next()` to go on (and await it to see the result or the
 * error), or return a value or throw an RpcError without calling it to short-circuit.
 */
export interface Interceptor {
  intercept(ctx: CallContext, next: Next): Promise<unknown>;
  /**
   * Optional, client side only: wraps each attempt of a call, below the retry and hedging stages
   * and above resolve and pick, so it runs once per attempt where `intercept` runs once per call
   * (the active async context is the one `intercept` passed to `next()`). Rivet runs it only for
   * global interceptors (`createClient`/`createApp` `interceptors`, and `telemetry`), and only for
   * methods that can make more than one attempt (retry or hedging on). `ctx` is the attempt's
   * context: after `next()` settles, `ctx.peer` is the endpoint this attempt went to.
   */
  interceptAttempt?(ctx: CallContext, next: Next): Promise<unknown>;
}

/** A plain function works as an interceptor too. */
export type InterceptorFn = (ctx: CallContext, next: Next) => unknown;

/** A class of interceptor, resolved through the app's container so it can have injected dependencies. */
export type InterceptorClass = abstract new (...args: never[]) => Interceptor;

/** Anything accepted where interceptors are listed. */
export type InterceptorLike = Interceptor | InterceptorFn | InterceptorClass;
