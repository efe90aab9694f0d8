import { Container, inject, injectable } from 'inversify';
import { currentContext, isRpcError, Method, RemoteService, RpcError, Service, type CallContext, type Next, type Remote, type RpcCode } from '../../src';
import { Harness } from '../helpers/apps';

/** What a caller saw of a failed call, so a call from inside a handler can be compared with one from outside. */
interface Outcome {
  isRpcError: boolean;
  code: string;
  message: string;
  details: unknown;
  ms: number;
}

async function outcomeOf(call: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now();
  try {
    await call();
  } catch (err) {
    const e = err as RpcError;
    return { isRpcError: isRpcError(err), code: e.code, message: e.message, details: e.details, ms: performance.now() - started };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A plain local dependency. */
@injectable()
class PriceBook {
  private readonly prices: Record<string, number> = { apple: 3, pear: 4 };
  priceOf(item: string): number {
    return this.prices[item] ?? 0;
  }
}

@Service('Calc')
class CalcService {
  calls = 0;

  @Method()
  add(a: number, b: number): number {
    this.calls++;
    return a + b;
  }

  @Method()
  fail(code: RpcCode): never {
    throw new RpcError(code, `failing with ${code}`, { asked: code });
  }

  @Method()
  throwPlain(): never {
    throw new Error('plain failure');
  }

  @Method()
  async hang(): Promise<never> {
    const signal = currentContext()!.signal;
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
}

/** Constructor injection: a local class and a remote proxy. */
@Service('Shop')
class ShopService {
  constructor(
    private readonly prices: PriceBook,
    @RemoteService(CalcService) private readonly calc: Remote<CalcService>,
  ) {}

  @Method()
  async total(a: string, b: string): Promise<number> {
    return this.calc.add(this.prices.priceOf(a), this.prices.priceOf(b));
  }
}

/** Property injection, declared as ES2022 class fields. */
@Service('Front')
class FrontService {
  @RemoteService('Calc') calc!: Remote<CalcService>;
  @RemoteService('Calc', { timeoutMs: 100 }) hastyCalc!: Remote<CalcService>;

  @Method()
  async twice(n: number): Promise<number> {
    return this.calc.add(n, n);
  }

  @Method()
  async failVia(code: RpcCode): Promise<Outcome> {
    return outcomeOf(() => this.calc.fail(code));
  }

  @Method()
  async throwPlainVia(): Promise<Outcome> {
    return outcomeOf(() => this.calc.throwPlain());
  }

  @Method()
  async hangVia(): Promise<Outcome> {
    return outcomeOf(() => this.hastyCalc.hang());
  }
}

/** A declared, uninitialised field, to check how this file's class fields are compiled. */
class FieldProbe {
  declared!: number;
}

const GREETING = Symbol('greeting');

/** A dependency the user binds in a container of their own. */
class Punctuation {
  constructor(readonly mark: string) {}
}

@Service('Greeter')
class GreeterService {
  constructor(
    @inject(GREETING) private readonly greeting: string,
    @inject(Punctuation) private readonly punctuation: Punctuation,
  ) {}

  @Method()
  greet(name: string): string {
    return `${this.greeting}, ${name}${this.punctuation.mark}`;
  }
}

describe('dependency injection', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('holds each @Service as a singleton, and serves calls with that instance', async () => {
    const { app, address } = await h.serve({ services: [CalcService] });
    expect(app.get(CalcService)).toBe(app.get(CalcService));
    const calc = h.client({ endpoints: { Calc: [address] } }).proxy(CalcService);
    await expect(calc.add(1, 2)).resolves.toBe(3);
    await expect(calc.add(3, 4)).resolves.toBe(7);
    expect(app.get(CalcService).calls).toBe(2);
  });

  it('injects local @injectable() classes and @RemoteService proxies into the constructor', async () => {
    const { app } = await h.serve({ services: [CalcService, ShopService] });
    const shop = h.client().proxy(ShopService);
    await expect(shop.total('apple', 'pear')).resolves.toBe(7);
    expect(app.get(CalcService).calls).toBe(1);
  });

  it('injects a @RemoteService proxy into a property declared as a class field', async () => {
    const { app } = await h.serve({ services: [CalcService, FrontService] });
    // The case under test: this file is compiled with ES2022 class fields, so a declared field
    // is an own property, set to undefined when the instance is built (before any injection).
    expect(Object.hasOwn(new FieldProbe(), 'declared')).toBe(true);
    await expect(app.get(FrontService).calc.add(2, 2)).resolves.toBe(4);
    await expect(h.client().proxy(FrontService).twice(21)).resolves.toBe(42);
    expect(app.get(CalcService).calls).toBe(2);
  });

  describe('a @RemoteService served by the same app', () => {
    it('goes through app-level client interceptors and the server interceptors, like any call', async () => {
      const trail: string[] = [];
      const where = (ctx: CallContext, next: Next): Promise<unknown> => {
        trail.push(`${ctx.side} ${ctx.service}.${ctx.method}`);
        return next();
      };
      await h.serve({ services: [CalcService, FrontService], interceptors: [where] });
      await expect(h.client().invoke('Front', 'twice', [5])).resolves.toBe(10);
      expect(trail).toEqual(['server Front.twice', 'client Calc.add', 'server Calc.add']);
    });

    it('fails with the same code, message and details as a call from outside', async () => {
      await h.serve({ services: [CalcService, FrontService] });
      const client = h.client();
      const inside = (await client.invoke('Front', 'failVia', ['FAILED_PRECONDITION'])) as Outcome;
      const outside = await outcomeOf(() => client.proxy(CalcService).fail('FAILED_PRECONDITION'));
      expect(inside).toMatchObject({ isRpcError: true, code: 'FAILED_PRECONDITION', message: 'failing with FAILED_PRECONDITION', details: { asked: 'FAILED_PRECONDITION' } });
      expect({ ...inside, ms: 0 }).toEqual({ ...outside, ms: 0 });
    });

    it('turns a plain Error into an RpcError UNKNOWN, as the wire does for any caller', async () => {
      await h.serve({ services: [CalcService, FrontService] });
      const inside = (await h.client().invoke('Front', 'throwPlainVia')) as Outcome;
      expect(inside).toMatchObject({ isRpcError: true, code: 'UNKNOWN', message: 'plain failure' });
    });

    it('times out at its policy deadline, like a call from outside', async () => {
      await h.serve({ services: [CalcService, FrontService] });
      const client = h.client();
      await client.invoke('Calc', 'add', [0, 0]); // connect first, so only the call is timed
      const inside = (await client.invoke('Front', 'hangVia')) as Outcome;
      const outside = await outcomeOf(() => client.proxy(CalcService, { timeoutMs: 100 }).hang());
      for (const o of [inside, outside]) {
        expect(o.code).toBe('DEADLINE_EXCEEDED');
        expect(o.ms).toBeGreaterThanOrEqual(100 - 2);
        expect(o.ms).toBeLessThanOrEqual(100 + 50);
      }
    });
  });

  describe('a container of your own', () => {
    it("injects the user's own bindings into a service", async () => {
      const container = new Container();
      container.bind(GREETING).toConstantValue('Hej');
      container.bind(Punctuation).toConstantValue(new Punctuation('!'));
      const { app } = await h.serve({ services: [GreeterService], container });
      await expect(h.client().proxy(GreeterService).greet('Ada')).resolves.toBe('Hej, Ada!');
      expect(app.container).toBe(container);
      expect(container.get(GreeterService)).toBe(app.get(GreeterService));
    });

    it('serves the instance the user bound for a service class', async () => {
      const container = new Container();
      const mine = new GreeterService('Hallo', new Punctuation('.'));
      container.bind(GreeterService).toConstantValue(mine);
      const { app } = await h.serve({ services: [GreeterService], container });
      await expect(h.client().proxy(GreeterService).greet('Bob')).resolves.toBe('Hallo, Bob.');
      expect(app.get(GreeterService)).toBe(mine);
    });
  });
});
