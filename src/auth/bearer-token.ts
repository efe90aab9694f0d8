import type { CallContext } from '../call';
import { RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import type { Interceptor, Next } from '../interceptors';
import { AUTHORIZATION_METADATA_KEY } from './bearer-auth';

/** A token, or a function that returns the token for a call (e.g. from a cache it refreshes). */
export type BearerTokenSource = string | ((ctx: CallContext) => string | Promise<string>);

/**
 * Client-side: sends `authorization: Bearer <token>` with every call that does not already carry
 * an `authorization` entry. A function is asked once per call (not per retry); when it throws or
 * returns no string the call fails with UNAUTHENTICATED before anything is sent. On the server
 * side it does nothing. Throws RivetConfigError when `source` is neither a non-empty string nor a
 * function.
 */
export function bearerToken(source: BearerTokenSource): Interceptor {
  if (typeof source === 'string') {
    if (source.length === 0 || /\s/.test(source)) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, 'bearerToken needs a non-empty token without spaces, or a function (ctx) => token.');
    }
    const header = `Bearer ${source}`;
    return {
      intercept(ctx: CallContext, next: Next): Promise<unknown> {
        if (ctx.side === 'client' && ctx.metadata[AUTHORIZATION_METADATA_KEY] === undefined) ctx.metadata[AUTHORIZATION_METADATA_KEY] = header;
        return next();
      },
    };
  }
  if (typeof source !== 'function') {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `bearerToken needs a token string or a function (ctx) => token, got ${source === null ? 'null' : typeof source}.`);
  }
  return {
    async intercept(ctx: CallContext, next: Next): Promise<unknown> {
      if (ctx.side !== 'client' || ctx.metadata[AUTHORIZATION_METADATA_KEY] !== undefined) return next();
      let token: unknown;
      try {
        token = await source(ctx);
      } catch {
        token = undefined;
      }
      if (typeof token !== 'string' || token.length === 0) {
        throw new RpcError('UNAUTHENTICATED', 'no bearer token to send: the token source failed or returned none', undefined, { notProcessed: true });
      }
      ctx.metadata[AUTHORIZATION_METADATA_KEY] = `Bearer ${token}`;
      return next();
    },
  };
}
