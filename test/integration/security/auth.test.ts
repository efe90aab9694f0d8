import {
  Authorize,
  bearerAuth,
  bearerToken,
  currentContext,
  isRpcError,
  Method,
  RivetConfigError,
  Service,
  UseInterceptors,
} from '../../../src';
import { Harness } from '../../helpers/apps';
import { testCerts, type TestCerts } from '../../helpers/certs';

interface User {
  name: string;
  roles: string[];
}

const TOKENS: Record<string, User> = {
  'tok-ada-3f9a': { name: 'ada', roles: ['admin'] },
  'tok-linus-81c2': { name: 'linus', roles: [] },
};
const verify = (token: string): User | undefined => TOKENS[token];
const isAdmin = (u: User | undefined) => u?.roles.includes('admin') === true;

const methodInterceptorRan = jest.fn();

@Service('Ledger')
@Authorize<User>((u) => u !== undefined)
class LedgerService {
  @Method()
  me(): unknown {
    return currentContext()?.principal;
  }

  @Method()
  @Authorize(isAdmin)
  @UseInterceptors((_ctx, next) => (methodInterceptorRan(), next()))
  erase(): string {
    return 'erased';
  }
}

@Service('Badge')
class BadgeService {
  @Method()
  @Authorize((_p, ctx) => ctx.peer?.identity?.san.includes('URI:spiffe://rivet.test/alice') === true)
  forAlice(): string {
    return `hello ${currentContext()?.peer?.identity?.subject}`;
  }

  @Method()
  @Authorize((_p, ctx) => ctx.peer?.identity?.san.includes('URI:spiffe://rivet.test/bob') === true)
  forBob(): string {
    return 'hello bob';
  }
}

const h = new Harness();
afterEach(() => h.close());
const policy = { retry: false as const };

async function failure(p: Promise<unknown>): Promise<{ code: string; text: string }> {
  try {
    await p;
  } catch (err) {
    if (!isRpcError(err)) throw err;
    return { code: err.code, text: `${err.message} ${JSON.stringify(err.details ?? null)} ${JSON.stringify(err)}` };
  }
  throw new Error('expected the call to fail');
}

describe('bearer authentication and @Authorize end to end', () => {
  beforeEach(async () => {
    methodInterceptorRan.mockClear();
    await h.serve({ services: [LedgerService], interceptors: [bearerAuth({ verify })] });
  });

  it('gives the handler the principal through currentContext()', async () => {
    const ledger = h.client({ interceptors: [bearerToken('tok-linus-81c2')] }).proxy<LedgerService>('Ledger');
    await expect(ledger.me()).resolves.toEqual({ name: 'linus', roles: [] });
  });

  it('answers UNAUTHENTICATED to a caller with no token or a bad one, leaking neither token nor detail', async () => {
    const anonymous = h.client({ policy }).proxy<LedgerService>('Ledger');
    const forger = h.client({ policy, interceptors: [bearerToken('tok-forged-0000')] }).proxy<LedgerService>('Ledger');
    const none = await failure(anonymous.me());
    expect(none.code).toBe('UNAUTHENTICATED');
    const bad = await failure(forger.me());
    expect(bad.code).toBe('UNAUTHENTICATED');
    expect(bad.text).not.toContain('tok-forged-0000');
    expect(bad.text).not.toMatch(/TOKENS|verify|stack/);
  });

  it('answers PERMISSION_DENIED when a check refuses, before the method’s interceptors run', async () => {
    const linus = h.client({ policy, interceptors: [bearerToken('tok-linus-81c2')] }).proxy<LedgerService>('Ledger');
    const denied = await failure(linus.erase());
    expect(denied.code).toBe('PERMISSION_DENIED');
    expect(denied.text).not.toContain('tok-linus-81c2');
    expect(denied.text).not.toContain('admin');
    expect(methodInterceptorRan).not.toHaveBeenCalled();
    const ada = h.client({ interceptors: [bearerToken(() => 'tok-ada-3f9a')] }).proxy<LedgerService>('Ledger');
    await expect(ada.erase()).resolves.toBe('erased');
    expect(methodInterceptorRan).toHaveBeenCalledTimes(1);
  });
});

describe('@Authorize', () => {
  it('sees a principal set by a class-level authentication interceptor', async () => {
    @Service('Notes')
    @UseInterceptors(bearerAuth({ verify }))
    class NotesService {
      @Method()
      @Authorize(isAdmin)
      read(): string {
        return `notes for ${(currentContext()?.principal as User).name}`;
      }
    }
    await h.serve({ services: [NotesService] });
    const ada = h.client({ interceptors: [bearerToken('tok-ada-3f9a')] }).proxy<NotesService>('Notes');
    await expect(ada.read()).resolves.toBe('notes for ada');
  });

  it('fails createApp when it guards a member that is not a @Method', async () => {
    @Service('Sloppy')
    class SloppyService {
      @Authorize(isAdmin)
      helper(): void {}
    }
    await expect(h.serve({ services: [SloppyService] })).rejects.toThrow(RivetConfigError);
    await expect(h.serve({ services: [SloppyService] })).rejects.toThrow(/@Authorize on Sloppy.helper: it is not a @Method/);
  });
});

describe('authorization by mTLS identity', () => {
  let certs: TestCerts;
  beforeAll(async () => {
    certs = await testCerts();
  });

  it('lets the certificate it names in and keeps others out with PERMISSION_DENIED', async () => {
    await h.serve({ services: [BadgeService], tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, requestCert: true } });
    const alice = h.client({ policy, tls: { ca: certs.ca, key: certs.alice.key, cert: certs.alice.cert } }).proxy<BadgeService>('Badge');
    await expect(alice.forAlice()).resolves.toBe('hello CN=alice,O=Rivet');
    await expect(failure(alice.forBob())).resolves.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});
