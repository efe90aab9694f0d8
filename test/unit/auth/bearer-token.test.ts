import { bearerToken } from '../../../src/auth';
import { type CallContext, createCallContext } from '../../../src/call';
import { RivetConfigError, RpcError } from '../../../src/errors';
import { toMiddleware } from '../../../src/interceptors';

function ctx(metadata: Record<string, string> = {}, side: 'client' | 'server' = 'client'): CallContext {
  return createCallContext(side, 'Orders', 'place', [], metadata, undefined, new AbortController().signal, undefined);
}

const sent = async (c: CallContext) => c.metadata.authorization;

describe('bearerToken', () => {
  it('sends a fixed token', async () => {
    await expect(toMiddleware(bearerToken('abc'))(sent)(ctx())).resolves.toBe('Bearer abc');
  });

  it('asks a function once per call', async () => {
    let n = 0;
    const mw = toMiddleware(bearerToken(async () => `t${++n}`));
    await expect(mw(sent)(ctx())).resolves.toBe('Bearer t1');
    await expect(mw(sent)(ctx())).resolves.toBe('Bearer t2');
  });

  it('keeps an authorization the caller set, and does nothing on the server side', async () => {
    await expect(toMiddleware(bearerToken('abc'))(sent)(ctx({ authorization: 'Bearer mine' }))).resolves.toBe('Bearer mine');
    await expect(toMiddleware(bearerToken('abc'))(sent)(ctx({}, 'server'))).resolves.toBeUndefined();
  });

  it('fails the call with UNAUTHENTICATED, not processed, when the source has no token', async () => {
    const next = jest.fn(sent);
    const err = await toMiddleware(bearerToken(() => ''))(next)(ctx()).catch((e: RpcError) => e);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', notProcessed: true });
    const thrown = await toMiddleware(bearerToken(() => Promise.reject(new Error('refresh failed: secret=xyz'))))(next)(ctx()).catch((e: RpcError) => e);
    expect((thrown as RpcError).message).not.toContain('xyz');
    expect(next).not.toHaveBeenCalled();
  });

  it('rejects an empty token or a non-function at construction', () => {
    expect(() => bearerToken('')).toThrow(RivetConfigError);
    expect(() => bearerToken('two words')).toThrow(RivetConfigError);
    expect(() => bearerToken(42 as never)).toThrow(/token string or a function/);
  });
});
