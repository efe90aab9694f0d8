import { type CallContext, createCallContext, type Invoker } from '../../../src/call';
import { RivetConfigError, RpcError } from '../../../src/errors';
import { checkInterceptor, type Interceptor, type InterceptorFn, toMiddleware } from '../../../src/interceptors';

function context(): CallContext {
  return createCallContext('server', 'Arith', 'add', [2, 3], {}, undefined, new AbortController().signal, undefined);
}

/** The call itself: records that it ran and returns the sum of the args. */
function handler(calls: CallContext[]): Invoker {
  return async (ctx) => {
    calls.push(ctx);
    return (ctx.args as number[]).reduce((a, b) => a + b, 0);
  };
}

describe('toMiddleware', () => {
  it('adapts an object interceptor, which sees the context and the result of next()', async () => {
    const calls: CallContext[] = [];
    const seen: unknown[] = [];
    const interceptor: Interceptor = {
      async intercept(ctx, next) {
        seen.push(ctx.method);
        const result = await next();
        seen.push(result);
        return (result as number) * 10;
      },
    };
    const ctx = context();
    await expect(toMiddleware(interceptor)(handler(calls))(ctx)).resolves.toBe(50);
    expect(seen).toEqual(['add', 5]);
    expect(calls).toEqual([ctx]);
  });

  it('adapts a function interceptor', async () => {
    const calls: CallContext[] = [];
    const fn: InterceptorFn = async (ctx, next) => {
      ctx.args = [10, 20];
      return next();
    };
    await expect(toMiddleware(fn)(handler(calls))(context())).resolves.toBe(30);
    expect(calls).toHaveLength(1);
  });

  it('short-circuits with a value without calling next', async () => {
    const calls: CallContext[] = [];
    const cached: InterceptorFn = () => 'cached';
    await expect(toMiddleware(cached)(handler(calls))(context())).resolves.toBe('cached');
    expect(calls).toEqual([]);
  });

  it('short-circuits with an RpcError without calling next', async () => {
    const calls: CallContext[] = [];
    const denied = new RpcError('PERMISSION_DENIED', 'no token');
    const auth: Interceptor = {
      async intercept() {
        throw denied;
      },
    };
    await expect(toMiddleware(auth)(handler(calls))(context())).rejects.toBe(denied);
    expect(calls).toEqual([]);
  });

  it('turns a synchronous throw into a rejection, for functions and objects alike', async () => {
    const boom = new RpcError('INTERNAL', 'sync');
    const fn: InterceptorFn = () => {
      throw boom;
    };
    const obj = {
      intercept(): Promise<unknown> {
        throw boom;
      },
    };
    for (const interceptor of [fn, obj]) {
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = toMiddleware(interceptor)(handler([]))(context());
      }).not.toThrow();
      await expect(result).rejects.toBe(boom);
    }
  });

  it('passes a rejection of next() through to the caller', async () => {
    const failure = new RpcError('UNAVAILABLE', 'down');
    const passthrough: InterceptorFn = (_ctx, next) => next();
    await expect(toMiddleware(passthrough)(() => Promise.reject(failure))(context())).rejects.toBe(failure);
  });
});

describe('checkInterceptor', () => {
  it('accepts an object with intercept, a function, and a class', () => {
    class Logging implements Interceptor {
      async intercept(_ctx: CallContext, next: () => Promise<unknown>): Promise<unknown> {
        return next();
      }
    }
    expect(() => checkInterceptor({ intercept: async () => 1 }, 'where')).not.toThrow();
    expect(() => checkInterceptor(() => 1, 'where')).not.toThrow();
    expect(() => checkInterceptor(Logging, 'where')).not.toThrow();
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [42, 'number'],
    ['log', 'string'],
    [{}, 'object'],
    [{ intercept: 'yes' }, 'object'],
  ])('rejects %p with RIVET_ERR_INTERCEPTOR', (value, kind) => {
    let thrown: unknown;
    try {
      checkInterceptor(value, 'ClientPolicy.interceptors[0]');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RivetConfigError);
    expect((thrown as RivetConfigError).code).toBe('RIVET_ERR_INTERCEPTOR');
    expect((thrown as RivetConfigError).message).toBe(
      `RIVET_ERR_INTERCEPTOR: ClientPolicy.interceptors[0]: an interceptor must be an object with intercept(ctx, next), a function (ctx, next) => ..., or a class with an intercept method; got ${kind}.`,
    );
  });
});
