import 'reflect-metadata';
import { authorizeMiddleware } from '../../../src/auth';
import { type CallContext, createCallContext } from '../../../src/call';
import { Authorize, getAuthorizeChecks, getAuthorizedMembers } from '../../../src/decorators';
import { RivetConfigError, RpcError } from '../../../src/errors';

function ctx(principal: unknown): CallContext {
  const c = createCallContext('server', 'Orders', 'place', [], {}, undefined, new AbortController().signal, undefined);
  c.principal = principal;
  return c;
}

describe('authorizeMiddleware', () => {
  const handler = jest.fn(async () => 'ran');
  beforeEach(() => handler.mockClear());

  it('calls on when every check returns true', async () => {
    const mw = authorizeMiddleware([(p) => p === 'ada', async (_p, c) => c.method === 'place']);
    await expect(mw(handler)(ctx('ada'))).resolves.toBe('ran');
  });

  it.each([
    ['returns false', () => false],
    ['returns a truthy non-boolean', () => 'yes' as unknown as boolean],
    ['throws', () => {
      throw new Error('db down: password=hunter2');
    }],
    ['rejects', () => Promise.reject(new Error('db down'))],
  ])('refuses with PERMISSION_DENIED when a check %s, before the next stage', async (_, check) => {
    const err = await authorizeMiddleware([check])(handler)(ctx('ada')).catch((e: RpcError) => e);
    expect(err).toMatchObject({ code: 'PERMISSION_DENIED', message: 'permission denied' });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('@Authorize', () => {
  const isAdmin = (p: unknown) => p === 'admin';
  const isAda = (p: unknown) => p === 'ada';
  const isWeekday = () => true;

  @Authorize(isAdmin)
  class Admin {
    @Authorize(isAda)
    @Authorize(isWeekday)
    place(): void {}
    list(): void {}
  }

  it('records class checks first, then the method’s in source order', () => {
    expect(getAuthorizeChecks(Admin, 'place')).toEqual([isAdmin, isAda, isWeekday]);
    expect(getAuthorizeChecks(Admin, 'list')).toEqual([isAdmin]);
    expect(getAuthorizedMembers(Admin)).toEqual(['place']);
  });

  it('is inherited by subclasses, class checks included', () => {
    @Authorize(isWeekday)
    class Sub extends Admin {}
    expect(getAuthorizeChecks(Sub, 'place')).toEqual([isAdmin, isWeekday, isAda, isWeekday]);
    expect(getAuthorizeChecks(Sub, 'list')).toEqual([isAdmin, isWeekday]);
  });

  it('rejects a check that is not a function, and symbol or static members', () => {
    expect(() => Authorize('admin' as never)).toThrow(RivetConfigError);
    const sym = Symbol('m');
    expect(() => Authorize(isAda)({}, sym, {} as PropertyDescriptor)).toThrow(/symbol-named/);
    expect(() => Authorize(isAda)(class Static {}, 'm', {} as PropertyDescriptor)).toThrow(/static/);
  });
});
