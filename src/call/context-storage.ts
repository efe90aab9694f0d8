import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallContext } from './call-context';

const storage = new AsyncLocalStorage<CallContext>();

/**
 * The context of the server call being handled, in the handler and everything it awaits;
 * `undefined` outside a call.
 */
export function currentContext(): CallContext | undefined {
  return storage.getStore();
}

/** Runs `fn(ctx)` with `ctx` as the current context. */
export function runWithContext<R>(ctx: CallContext, fn: (ctx: CallContext) => R): R {
  return storage.run(ctx, fn, ctx);
}
