import { composeMiddleware, type CallContext } from '../../../src/call';
import { RivetConfigError, RpcError } from '../../../src/errors';
import { fallbackMiddleware, type Fallback } from '../../../src/resilience';
import { makeCtx, rejectionOf } from './support';

describe('fallbackMiddleware', () => {
  it("returns the fallback's value, given the final error and the context", async () => {
    const failure = new RpcError('UNAVAILABLE', 'down');
    const seen: [RpcError, CallContext][] = [];
    const fb: Fallback<string[]> = (err, ctx) => {
      seen.push([err, ctx]);
      return [];
    };
    const ctx = makeCtx();
    const invoke = composeMiddleware([fallbackMiddleware(fb)], async () => {
      throw failure;
    });
    await expect(invoke(ctx)).resolves.toEqual([]);
    expect(seen).toEqual([[failure, ctx]]);
  });

  it('is not called when the call succeeds', async () => {
    const fb = jest.fn();
    const invoke = composeMiddleware([fallbackMiddleware(fb)], async () => 'real');
    await expect(invoke(makeCtx())).resolves.toBe('real');
    expect(fb).not.toHaveBeenCalled();
  });

  it('awaits an async fallback, and turns what it throws into an RpcError', async () => {
    const ok = composeMiddleware([fallbackMiddleware(async () => 'cached')], async () => {
      throw new RpcError('DEADLINE_EXCEEDED', 'late');
    });
    await expect(ok(makeCtx())).resolves.toBe('cached');
    const bad = composeMiddleware(
      [
        fallbackMiddleware(() => {
          throw new Error('no cache either');
        }),
      ],
      async () => {
        throw new RpcError('UNAVAILABLE', 'down');
      },
    );
    expect(await rejectionOf(bad(makeCtx()))).toMatchObject({ code: 'UNKNOWN', message: 'no cache either' });
  });

  it('hands a non-RpcError to the fallback as UNKNOWN', async () => {
    let code = '';
    const invoke = composeMiddleware(
      [
        fallbackMiddleware((err) => {
          code = err.code;
          return 0;
        }),
      ],
      async () => {
        throw new TypeError('bug');
      },
    );
    await invoke(makeCtx());
    expect(code).toBe('UNKNOWN');
  });

  it('does not rescue a call the caller cancelled', async () => {
    const cancelled = new RpcError('CANCELLED', 'call cancelled by the caller', { reason: 'CANCELLED_BY_CALLER' });
    const fb = jest.fn();
    const invoke = composeMiddleware([fallbackMiddleware(fb)], async () => {
      throw cancelled;
    });
    expect(await rejectionOf(invoke(makeCtx()))).toBe(cancelled);
    expect(fb).not.toHaveBeenCalled();
  });

  it('rejects a fallback that is not a function at construction', () => {
    expect(() => fallbackMiddleware('cached' as unknown as Fallback)).toThrow(RivetConfigError);
    expect(() => fallbackMiddleware(null as unknown as Fallback, 'ClientPolicy.fallback')).toThrow(
      'ClientPolicy.fallback must be a function (err, ctx) => value, got null',
    );
  });
});
