import { bearerAuth } from '../../../src/auth';
import { type CallContext, createCallContext } from '../../../src/call';
import { isRpcError, RivetConfigError } from '../../../src/errors';
import { toMiddleware } from '../../../src/interceptors';

const SECRET = 'tok-7c1f-very-secret';

function ctx(metadata: Record<string, string>, side: 'client' | 'server' = 'server', service = 'Orders'): CallContext {
  return createCallContext(side, service, 'place', [], metadata, undefined, new AbortController().signal, undefined);
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (err) {
    if (!isRpcError(err)) throw err;
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error('expected a rejection');
}

describe('bearerAuth', () => {
  const verify = (token: string) => (token === SECRET ? { user: 'ada' } : undefined);

  it('puts what verify returns in ctx.principal and calls on', async () => {
    const handler = jest.fn(async (c: CallContext) => c.principal);
    await expect(toMiddleware(bearerAuth({ verify }))(handler)(ctx({ authorization: `Bearer ${SECRET}` }))).resolves.toEqual({ user: 'ada' });
    await expect(toMiddleware(bearerAuth({ verify }))(handler)(ctx({ authorization: `bearer ${SECRET}` }))).resolves.toEqual({ user: 'ada' });
  });

  it.each([
    ['no authorization', {}, 'missing bearer token'],
    ['another scheme', { authorization: `Basic ${SECRET}` }, 'missing bearer token'],
    ['an empty token', { authorization: 'Bearer ' }, 'missing bearer token'],
    ['a wrong token', { authorization: `Bearer ${SECRET}x` }, 'invalid bearer token'],
  ])('refuses %s with UNAUTHENTICATED before the handler', async (_, metadata, message) => {
    const handler = jest.fn(async () => 'ran');
    const err = await rejection(toMiddleware(bearerAuth({ verify }))(handler)(ctx(metadata)));
    expect(err).toEqual({ code: 'UNAUTHENTICATED', message, details: undefined });
    expect(handler).not.toHaveBeenCalled();
  });

  it('keeps what verify threw, and the token, to itself', async () => {
    const handler = jest.fn(async () => 'ran');
    const leaky = bearerAuth({
      verify: (token) => {
        throw new Error(`jwt malformed: ${token} at /srv/auth/keys.ts:12`);
      },
    });
    const err = await rejection(toMiddleware(leaky)(handler)(ctx({ authorization: `Bearer ${SECRET}` })));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain('keys.ts');
  });

  it('waits for an async verify', async () => {
    const mw = toMiddleware(bearerAuth({ verify: async (t) => (t === SECRET ? 'ada' : null) }));
    await expect(mw(async (c) => c.principal)(ctx({ authorization: `Bearer ${SECRET}` }))).resolves.toBe('ada');
    await expect(rejection(mw(async () => 'x')(ctx({ authorization: 'Bearer nope' })))).resolves.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('lets exempt services and methods through, and does nothing on the client side', async () => {
    const mw = toMiddleware(bearerAuth({ verify, exempt: ['rivet.Health', 'Orders.place'] }));
    await expect(mw(async () => 'health')(ctx({}, 'server', 'rivet.Health'))).resolves.toBe('health');
    await expect(mw(async () => 'exempt')(ctx({}, 'server', 'Orders'))).resolves.toBe('exempt');
    await expect(toMiddleware(bearerAuth({ verify }))(async () => 'client')(ctx({}, 'client'))).resolves.toBe('client');
  });

  it('rejects bad options at construction', () => {
    expect(() => bearerAuth({} as never)).toThrow(RivetConfigError);
    expect(() => bearerAuth({ verify, exempt: 'rivet.Health' as never })).toThrow(/exempt/);
    expect(() => bearerAuth({ verify, verifier: verify } as never)).toThrow(/unknown key 'verifier'/);
  });
});
