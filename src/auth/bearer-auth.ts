import type { CallContext } from '../call';
import { RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import type { Interceptor, Next } from '../interceptors';
import { optionsObject, rejectUnknownKeys } from '../util';

/** The metadata key a bearer token travels under, as in HTTP and gRPC. */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/** Options of {@link bearerAuth}. */
export interface BearerAuthOptions<P = unknown> {
  /**
   * Checks a token and returns who holds it; the result becomes `ctx.principal`. A token it does
   * not accept: return undefined, null or false, or throw (whatever it throws stays on the
   * server: the caller only learns UNAUTHENTICATED).
   */
  verify: (token: string, ctx: CallContext) => P | undefined | null | false | Promise<P | undefined | null | false>;
  /**
   * Services (`'rivet.Health'`) or methods (`'Orders.ping'`) served without a token. Default: none.
   */
  exempt?: string[];
}

// Fixed messages: nothing of the token, or of why verify refused it, reaches the caller.
function missingToken(): RpcError {
  return new RpcError('UNAUTHENTICATED', 'missing bearer token');
}

function invalidToken(): RpcError {
  return new RpcError('UNAUTHENTICATED', 'invalid bearer token');
}

/**
 * Server-side authentication by bearer token: reads `authorization: Bearer <token>` from the
 * call's metadata, asks `verify`, and puts what it returns in `ctx.principal` (so the handler
 * reads it through `currentContext().principal`). A missing, malformed or refused token fails the
 * call with UNAUTHENTICATED before anything inside this interceptor runs. On the client side
 * (the app's own client) it does nothing. Throws RivetConfigError for bad options.
 */
export function bearerAuth<P = unknown>(opts: BearerAuthOptions<P>): Interceptor {
  const o = optionsObject('bearerAuth options', opts);
  rejectUnknownKeys('bearerAuth options', o, ['verify', 'exempt']);
  if (typeof o.verify !== 'function') {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, 'bearerAuth options.verify must be a function (token, ctx) => principal, returning undefined for a token it refuses.');
  }
  const exempt = o.exempt ?? [];
  if (!Array.isArray(exempt) || !exempt.every((e) => typeof e === 'string' && e.length > 0)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, "bearerAuth options.exempt must be an array of service names or 'Service.method' names.");
  }
  return new BearerAuthInterceptor(o.verify as BearerAuthOptions<P>['verify'], exempt.length === 0 ? null : new Set(exempt as string[]));
}

class BearerAuthInterceptor<P> implements Interceptor {
  constructor(
    private readonly verify: BearerAuthOptions<P>['verify'],
    private readonly exempt: ReadonlySet<string> | null,
  ) {}

  async intercept(ctx: CallContext, next: Next): Promise<unknown> {
    if (ctx.side !== 'server') return next();
    if (this.exempt !== null && (this.exempt.has(ctx.service) || this.exempt.has(`${ctx.service}.${ctx.method}`))) return next();
    const token = tokenOf(ctx.metadata[AUTHORIZATION_METADATA_KEY]);
    if (token === undefined) throw missingToken();
    let principal: P | undefined | null | false;
    try {
      principal = await this.verify(token, ctx);
    } catch {
      throw invalidToken();
    }
    if (principal === undefined || principal === null || principal === false) throw invalidToken();
    ctx.principal = principal;
    return next();
  }
}

/** The token of an `authorization` value `Bearer <token>` (scheme in any case, RFC 7235), or undefined. */
function tokenOf(value: string | undefined): string | undefined {
  if (typeof value !== 'string' || value.length < 8 || value.charCodeAt(6) !== 32 || value.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  const token = value.slice(7).trim();
  return token.length > 0 ? token : undefined;
}
