import { type CallContext, composeMiddleware, createCallContext, type Invoker, type Middleware } from '../../../src/call';

function context(): CallContext {
  return createCallContext('client', 'Arith', 'add', [1, 2], {}, undefined, new AbortController().signal, undefined);
}

/** A stage that records when it is entered and left. */
function recording(name: string, log: string[]): Middleware {
  return (next) => async (ctx) => {
    log.push(`enter ${name}`);
    const result = await next(ctx);
    log.push(`exit ${name}`);
    return result;
  };
}

describe('composeMiddleware', () => {
  it('runs the first stage outermost and the last stage next to the invoker', async () => {
    const log: string[] = [];
    const last: Invoker = async () => {
      log.push('call');
      return 'result';
    };
    const chain = composeMiddleware([recording('a', log), recording('b', log), recording('c', log)], last);
    await expect(chain(context())).resolves.toBe('result');
    expect(log).toEqual(['enter a', 'enter b', 'enter c', 'call', 'exit c', 'exit b', 'exit a']);
  });

  it('returns last itself when there are no stages', () => {
    const last: Invoker = async () => 1;
    expect(composeMiddleware([], last)).toBe(last);
  });

  it('builds the chain once: stages are wrapped at compose time, not per call', async () => {
    const wrapped: string[] = [];
    const stage: Middleware = (next) => {
      wrapped.push('wrap');
      return next;
    };
    const chain = composeMiddleware([stage, stage], async () => 'ok');
    await chain(context());
    await chain(context());
    expect(wrapped).toEqual(['wrap', 'wrap']);
  });

  it('passes the context each stage hands on to the next', async () => {
    const seen: unknown[] = [];
    const addMeta: Middleware = (next) => (ctx) => {
      ctx.metadata.trace = 't-1';
      return next(ctx);
    };
    const chain = composeMiddleware([addMeta], async (ctx) => {
      seen.push(ctx.metadata.trace, ctx.args);
      return null;
    });
    await chain(context());
    expect(seen).toEqual(['t-1', [1, 2]]);
  });
});
