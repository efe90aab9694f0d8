import type { CallContext, Middleware } from '../call';
import { RpcError } from '../errors';

/** One authorization check: true lets the call through. */
export type AuthorizationCheck = (principal: unknown, ctx: CallContext) => boolean | Promise<boolean>;

// A fixed message: which check refused, and why, stays on the server.
function denied(): RpcError {
  return new RpcError('PERMISSION_DENIED', 'permission denied');
}

/**
 * The server stage behind `@Authorize`: runs every check in order with `ctx.principal` (set by
 * authentication, e.g. bearerAuth) and the context (`ctx.peer.identity` under mTLS). Anything but
 * `true`, a check that throws included, fails the call with PERMISSION_DENIED before the next
 * stage runs. Built once per method.
 */
export function authorizeMiddleware(checks: readonly AuthorizationCheck[]): Middleware {
  return (next) => async (ctx) => {
    for (const check of checks) {
      let allowed: unknown;
      try {
        allowed = await check(ctx.principal, ctx);
      } catch {
        allowed = false;
      }
      if (allowed !== true) throw denied();
    }
    return next(ctx);
  };
}
