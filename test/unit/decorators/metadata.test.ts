import type { CallContext } from '../../../src/call';
import {
  getClassInterceptors,
  getMethodInterceptors,
  getMethodMetadata,
  getRemoteInjections,
  getServiceClasses,
  getServiceMetadata,
  Method,
  RemoteService,
  Service,
  UseInterceptors,
} from '../../../src/decorators';
import { configError } from '../../helpers/config-error';

const pass = async (_ctx: CallContext, next: () => Promise<unknown>): Promise<unknown> => next();

describe('@Service', () => {
  it('names the service after the class by default and records it', () => {
    @Service()
    class Inventory {}
    expect(getServiceMetadata(Inventory)).toEqual({ name: 'Inventory' });
    expect(getServiceClasses()).toContain(Inventory);
  });

  it('records an explicit name and version', () => {
    @Service('shop.Inventory-v2', { version: '2.1.0' })
    class Inventory {}
    expect(getServiceMetadata(Inventory)).toEqual({ name: 'shop.Inventory-v2', version: '2.1.0' });
  });

  it('records nothing on a class that is not a service', () => {
    class Plain {}
    expect(getServiceMetadata(Plain)).toBeUndefined();
  });

  it.each(['1abc', 'has space', '', 'a/b', '-x'])('rejects the name %p with RIVET_ERR_DECORATOR', (name) => {
    const err = configError(() => {
      @Service(name)
      class Bad {}
      return Bad;
    });
    expect(err.code).toBe('RIVET_ERR_DECORATOR');
    expect(err.message).toBe(
      `RIVET_ERR_DECORATOR: @Service name must start with a letter or _ and hold only letters, digits, '_', '.', '-'; got ${JSON.stringify(name)} on class Bad.`,
    );
  });

  it('rejects unknown options and an empty version', () => {
    const unknown = configError(() => {
      @Service('Svc', { version: '1', region: 'eu' } as { version: string })
      class Bad {}
      return Bad;
    });
    expect(unknown.message).toBe("RIVET_ERR_DECORATOR: @Service on Bad: unknown option 'region'; the only option is 'version'.");
    const empty = configError(() => {
      @Service('Svc', { version: '' })
      class Bad {}
      return Bad;
    });
    expect(empty.message).toBe('RIVET_ERR_DECORATOR: @Service on Bad: version must be a non-empty string.');
  });
});

describe('@Method', () => {
  it('records each method with its options', () => {
    class Arith {
      @Method()
      add(): void {}

      @Method({ timeoutMs: 500, idempotent: true })
      get(): void {}

      notRemote(): void {}
    }
    expect(getMethodMetadata(Arith)).toEqual(
      new Map([
        ['add', {}],
        ['get', { timeoutMs: 500, idempotent: true }],
      ]),
    );
  });

  it('rejects an unknown option', () => {
    const err = configError(() => {
      class Bad {
        @Method({ retries: 3 } as { timeoutMs?: number })
        run(): void {}
      }
      return Bad;
    });
    expect(err.code).toBe('RIVET_ERR_DECORATOR');
    expect(err.message).toBe("RIVET_ERR_DECORATOR: @Method on Bad.run: unknown option 'retries'; use timeoutMs, idempotent or stream.");
  });

  it.each([0, -5, 2_147_483_648, NaN])('rejects timeoutMs %p', (timeoutMs) => {
    const err = configError(() => {
      class Bad {
        @Method({ timeoutMs })
        run(): void {}
      }
      return Bad;
    });
    expect(err.message).toBe(`RIVET_ERR_DECORATOR: @Method on Bad.run: timeoutMs must be a number of milliseconds > 0, got ${String(timeoutMs)}.`);
  });

  it('rejects a non-boolean idempotent', () => {
    const err = configError(() => {
      class Bad {
        @Method({ idempotent: 'yes' as unknown as boolean })
        run(): void {}
      }
      return Bad;
    });
    expect(err.message).toBe('RIVET_ERR_DECORATOR: @Method on Bad.run: idempotent must be true or false.');
  });

  it('rejects use on a getter', () => {
    const err = configError(() => {
      class Bad {
        @Method()
        get value(): number {
          return 1;
        }
      }
      return Bad;
    });
    expect(err.message).toBe('RIVET_ERR_DECORATOR: @Method on Bad.value: only methods can be remote (not getters, setters or fields).');
  });

  it('rejects use on a field', () => {
    const err = configError(() => {
      class Bad {
        @(Method() as unknown as PropertyDecorator)
        value = 1;
      }
      return Bad;
    });
    expect(err.message).toBe('RIVET_ERR_DECORATOR: @Method on Bad.value: only methods can be remote (not getters, setters or fields).');
  });

  it('rejects use on a static method, naming its class', () => {
    const err = configError(() => {
      class Bad {
        @Method()
        static run(): void {}
      }
      return Bad;
    });
    expect(err.message).toBe('RIVET_ERR_DECORATOR: @Method on Bad.run: static methods cannot be remote methods; make it an instance method.');
  });

  it('rejects use on a symbol-named method', () => {
    const sym = Symbol('run');
    const err = configError(() => {
      class Bad {
        @Method()
        [sym](): void {}
      }
      return Bad;
    });
    expect(err.message).toBe('RIVET_ERR_DECORATOR: @Method on Bad.Symbol(run): symbol-named methods cannot be called remotely.');
  });

  it('collects inherited methods, and a subclass override wins', () => {
    class Base {
      @Method({ timeoutMs: 100 })
      read(): void {}

      @Method()
      list(): void {}
    }
    class Derived extends Base {
      @Method({ timeoutMs: 50, idempotent: true })
      override read(): void {}

      @Method()
      write(): void {}
    }
    expect(getMethodMetadata(Derived)).toEqual(
      new Map<string, object>([
        ['read', { timeoutMs: 50, idempotent: true }],
        ['list', {}],
        ['write', {}],
      ]),
    );
    expect(getMethodMetadata(Base)).toEqual(
      new Map<string, object>([
        ['read', { timeoutMs: 100 }],
        ['list', {}],
      ]),
    );
  });
});

describe('@UseInterceptors', () => {
  it('keeps source order on a class, across stacked decorators', () => {
    const a = async (_c: CallContext, n: () => Promise<unknown>) => n();
    const b = { intercept: pass };
    const c = async (_c: CallContext, n: () => Promise<unknown>) => n();
    @UseInterceptors(a, b)
    @UseInterceptors(c)
    class Svc {}
    expect(getClassInterceptors(Svc)).toEqual([a, b, c]);
  });

  it('keeps source order on a method, across stacked decorators', () => {
    const m1 = async (_c: CallContext, n: () => Promise<unknown>) => n();
    const m2 = async (_c: CallContext, n: () => Promise<unknown>) => n();
    const m3 = { intercept: pass };
    class Svc {
      @UseInterceptors(m1)
      @UseInterceptors(m2, m3)
      @Method()
      run(): void {}

      @Method()
      other(): void {}
    }
    expect(getMethodInterceptors(Svc, 'run')).toEqual([m1, m2, m3]);
    expect(getMethodInterceptors(Svc, 'other')).toEqual([]);
    expect(getClassInterceptors(Svc)).toEqual([]);
  });

  it('rejects something that is not an interceptor with RIVET_ERR_INTERCEPTOR', () => {
    const err = configError(() => UseInterceptors(pass, 42 as unknown as typeof pass));
    expect(err.code).toBe('RIVET_ERR_INTERCEPTOR');
    expect(err.message).toBe(
      'RIVET_ERR_INTERCEPTOR: @UseInterceptors argument 1: an interceptor must be an object with intercept(ctx, next), a function, or a class; got number.',
    );
  });
});

describe('@RemoteService', () => {
  it('records a constructor-parameter injection point', () => {
    const before = getRemoteInjections().length;
    class Checkout {
      constructor(@RemoteService('Users', { timeoutMs: 200 }) readonly users: unknown) {}
    }
    const injections = getRemoteInjections();
    expect(injections).toHaveLength(before + 1);
    const injection = injections[injections.length - 1];
    expect(injection.target).toBe('Users');
    expect(injection.policy).toEqual({ timeoutMs: 200 });
    expect(injection.where).toBe('Checkout constructor parameter 0');
    expect(typeof injection.token).toBe('symbol');
    expect(Checkout).toBeDefined();
  });

  it('records a property injection point with a class target', () => {
    @Service()
    class Stock {}
    const before = getRemoteInjections().length;
    class Checkout {
      @RemoteService(Stock)
      stock!: unknown;
    }
    const injections = getRemoteInjections();
    expect(injections).toHaveLength(before + 1);
    expect(injections[before]).toMatchObject({ target: Stock, policy: undefined, where: 'Checkout.stock' });
    expect(Checkout).toBeDefined();
  });

  it('gives every injection point its own token', () => {
    const before = getRemoteInjections().length;
    class A {
      @RemoteService('Users')
      u1!: unknown;

      @RemoteService('Users')
      u2!: unknown;
    }
    const [first, second] = getRemoteInjections().slice(before);
    expect(first.token).not.toBe(second.token);
    expect(A).toBeDefined();
  });

  it('rejects an empty name and a target that is neither a name nor a class', () => {
    expect(configError(() => RemoteService('')).message).toBe('RIVET_ERR_DECORATOR: @RemoteService needs a non-empty service name.');
    expect(configError(() => RemoteService(null as unknown as string)).message).toBe(
      'RIVET_ERR_DECORATOR: @RemoteService needs a service name or a @Service class, got null.',
    );
  });
});
