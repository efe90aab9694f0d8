import { Container, inject, injectable } from 'inversify';
import {
  createClient,
  Method,
  RpcError,
  Service,
  UseInterceptors,
  type CallContext,
  type Interceptor,
  type InterceptorFn,
  type Next,
} from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness } from '../helpers/apps';

type Behave = { key: string; metadata: Record<string, string> };

/** Where every interceptor in this file writes when it enters and leaves. */
const trail: string[] = [];

/** Records `name>` on the way in and `<name` on the way out of `next()`. */
async function around(name: string, next: Next): Promise<unknown> {
  trail.push(`${name}>`);
  try {
    return await next();
  } finally {
    trail.push(`<${name}`);
  }
}

/** A recording interceptor function. */
function recorder(name: string): InterceptorFn {
  return (_ctx, next) => around(name, next);
}

/** A recording interceptor object with intercept(). */
function recorderObject(name: string): Interceptor {
  return { intercept: (_ctx, next) => around(name, next) };
}

/** A local dependency interceptor classes get from the container. */
@injectable()
class Recorder {
  entries = 0;
  around(name: string, next: Next): Promise<unknown> {
    this.entries++;
    return around(name, next);
  }
}

/** Carries inversify's own @injectable(); its dependency comes from the constructor's types. */
@injectable()
class ClassInterceptor implements Interceptor {
  constructor(private readonly rec: Recorder) {}
  intercept(_ctx: CallContext, next: Next): Promise<unknown> {
    return this.rec.around('server:class', next);
  }
}

/** No @injectable(): Rivet applies it; the dependency is named with @inject. */
class MethodInterceptor implements Interceptor {
  constructor(@inject(Recorder) private readonly rec: Recorder) {}
  intercept(_ctx: CallContext, next: Next): Promise<unknown> {
    return this.rec.around('server:method', next);
  }
}

/** A client-side class with no dependencies: createClient without a container makes it with `new`. */
class PolicyInterceptor implements Interceptor {
  intercept(_ctx: CallContext, next: Next): Promise<unknown> {
    return around('client:policy', next);
  }
}

@Service('Onion')
@UseInterceptors(ClassInterceptor)
class OnionService {
  @Method()
  @UseInterceptors(MethodInterceptor)
  peel(): string {
    trail.push('handler');
    return 'core';
  }

  @Method()
  plain(): string {
    trail.push('plain');
    return 'plain';
  }
}

@Service('Stacked')
@UseInterceptors(recorder('class-a'), recorder('class-b'))
class StackedService {
  @Method()
  @UseInterceptors(recorder('method-a'))
  @UseInterceptors(recorder('method-b'), recorder('method-c'))
  run(): string {
    trail.push('handler');
    return 'ran';
  }
}

/** Doubles every number argument before the handler sees it. */
const doubleArgs: InterceptorFn = (ctx, next) => {
  ctx.args = ctx.args.map((a) => (typeof a === 'number' ? a * 2 : a));
  return next();
};

@Service('Args')
class ArgsService {
  @Method()
  @UseInterceptors(doubleArgs)
  sum(a: number, b: number): number {
    return a + b;
  }
}

describe('interceptors', () => {
  const h = new Harness();
  beforeEach(() => {
    trail.length = 0;
  });
  afterEach(() => h.close());

  describe('order', () => {
    it('runs global, then class or policy, then method interceptors on both sides, and unwinds in reverse', async () => {
      const { address } = await h.serve({
        services: [OnionService],
        interceptors: [recorder('server:global-1'), recorderObject('server:global-2')],
      });
      const client = h.client({
        endpoints: { Onion: [address] },
        interceptors: [recorderObject('client:global-1'), recorder('client:global-2')],
      });
      const onion = client.proxy<OnionService>('Onion', {
        interceptors: [PolicyInterceptor],
        methods: { peel: { interceptors: [recorder('client:method')] } },
      });
      await expect(onion.peel()).resolves.toBe('core');
      expect(trail).toEqual([
        'client:global-1>',
        'client:global-2>',
        'client:policy>',
        'client:method>',
        'server:global-1>',
        'server:global-2>',
        'server:class>',
        'server:method>',
        'handler',
        '<server:method',
        '<server:class',
        '<server:global-2',
        '<server:global-1',
        '<client:method',
        '<client:policy',
        '<client:global-2',
        '<client:global-1',
      ]);
    });

    it('leaves out method interceptors of other methods', async () => {
      const { address } = await h.serve({ services: [OnionService], interceptors: [recorder('server:global')] });
      const onion = h.client({ endpoints: { Onion: [address] } }).proxy<OnionService>('Onion', {
        methods: { peel: { interceptors: [recorder('client:peel-only')] } },
      });
      await expect(onion.plain()).resolves.toBe('plain');
      expect(trail).toEqual(['server:global>', 'server:class>', 'plain', '<server:class', '<server:global']);
    });

    it('keeps source order within @UseInterceptors lists and across stacked decorators', async () => {
      const { address } = await h.serve({ services: [StackedService] });
      const client = h.client({ endpoints: { Stacked: [address] } });
      await expect(client.invoke('Stacked', 'run')).resolves.toBe('ran');
      expect(trail).toEqual([
        'class-a>',
        'class-b>',
        'method-a>',
        'method-b>',
        'method-c>',
        'handler',
        '<method-c',
        '<method-b',
        '<method-a',
        '<class-b',
        '<class-a',
      ]);
    });
  });

  describe('metadata and arguments', () => {
    it('carries metadata set by a client interceptor to server interceptors and the handler', async () => {
      const seenOnServer: Array<string | undefined> = [];
      const { address } = await h.serve({
        services: [FixtureService],
        interceptors: [
          (ctx: CallContext, next: Next) => {
            seenOnServer.push(ctx.metadata['x-tenant']);
            return next();
          },
        ],
      });
      const client = h.client({
        endpoints: { Fixture: [address] },
        interceptors: [
          (ctx: CallContext, next: Next) => {
            ctx.metadata['x-tenant'] = 'acme';
            return next();
          },
        ],
      });
      const r = (await client.invoke('Fixture', 'behave', ['md'], { metadata: { 'x-call': 'yes' } })) as Behave;
      expect(seenOnServer).toEqual(['acme']);
      expect(r.metadata).toEqual({ 'x-call': 'yes', 'x-tenant': 'acme' });
    });

    it('lets a server interceptor change the metadata the handler sees', async () => {
      const { address } = await h.serve({
        services: [FixtureService],
        interceptors: [
          (ctx: CallContext, next: Next) => {
            ctx.metadata = { ...ctx.metadata, 'x-user': ctx.metadata['x-token'] === 'secret' ? 'alice' : 'nobody' };
            delete ctx.metadata['x-token'];
            return next();
          },
        ],
      });
      const client = h.client({ endpoints: { Fixture: [address] } });
      const r = (await client.invoke('Fixture', 'behave', ['auth'], { metadata: { 'x-token': 'secret' } })) as Behave;
      expect(r.metadata).toEqual({ 'x-user': 'alice' });
    });

    it('lets an interceptor change the arguments before the handler runs', async () => {
      const { address } = await h.serve({ services: [ArgsService] });
      const client = h.client({ endpoints: { Args: [address] } });
      await expect(client.invoke('Args', 'sum', [2, 3])).resolves.toBe(10);
    });

    it('tells interceptors which side, service and method they wrap', async () => {
      const seen: string[] = [];
      const where: InterceptorFn = (ctx, next) => {
        seen.push(`${ctx.side} ${ctx.service}.${ctx.method} ${ctx.peer === undefined ? 'no-peer' : 'peer'}`);
        return next();
      };
      const { address } = await h.serve({ services: [FixtureService], interceptors: [where] });
      const client = h.client({ endpoints: { Fixture: [address] }, interceptors: [where] });
      await client.invoke('Fixture', 'echo', ['x']);
      // The client's peer is set only once an endpoint is picked, below the interceptors.
      expect(seen).toEqual(['client Fixture.echo no-peer', 'server Fixture.echo peer']);
    });
  });

  describe('short-circuits', () => {
    it('answers from a client interceptor without a network call', async () => {
      const { app, address } = await h.serve({ services: [FixtureService] });
      const client = h.client({ endpoints: { Fixture: [address] }, interceptors: [async () => ({ key: 'cached', metadata: {} })] });
      await expect(client.invoke('Fixture', 'behave', ['live'])).resolves.toEqual({ key: 'cached', metadata: {} });
      expect(app.get(FixtureService).log.started).toEqual([]);
    });

    it('fails from a client interceptor with its RpcError and no network call', async () => {
      const { app, address } = await h.serve({ services: [FixtureService] });
      const deny: InterceptorFn = () => {
        throw new RpcError('PERMISSION_DENIED', 'no calls today', { rule: 'weekend' });
      };
      const client = h.client({ endpoints: { Fixture: [address] }, interceptors: [deny] });
      await expect(client.invoke('Fixture', 'behave', ['denied'])).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: 'no calls today',
        details: { rule: 'weekend' },
      });
      expect(app.get(FixtureService).log.started).toEqual([]);
    });

    it('answers from a server interceptor without running the handler', async () => {
      const { app, address } = await h.serve({ services: [FixtureService], interceptors: [async () => 'from the interceptor'] });
      const client = h.client({ endpoints: { Fixture: [address] } });
      await expect(client.invoke('Fixture', 'behave', ['skipped'])).resolves.toBe('from the interceptor');
      expect(app.get(FixtureService).log.started).toEqual([]);
    });

    it('fails from a server interceptor with its code, message and details, without running the handler', async () => {
      const auth: InterceptorFn = (ctx, next) => {
        if (ctx.metadata['x-token'] !== 'ok') throw new RpcError('UNAUTHENTICATED', 'missing token', { header: 'x-token' });
        return next();
      };
      const { app, address } = await h.serve({ services: [FixtureService], interceptors: [auth] });
      const client = h.client({ endpoints: { Fixture: [address] } });
      await expect(client.invoke('Fixture', 'behave', ['anon'])).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'missing token',
        details: { header: 'x-token' },
      });
      await expect(client.invoke('Fixture', 'behave', ['known'], { metadata: { 'x-token': 'ok' } })).resolves.toMatchObject({ key: 'known' });
      expect(app.get(FixtureService).log.started).toEqual(['known']);
    });

    it("sees the handler's error and can replace it", async () => {
      const seen: string[] = [];
      const mapErrors: InterceptorFn = async (_ctx, next) => {
        try {
          return await next();
        } catch (err) {
          seen.push((err as RpcError).code);
          throw new RpcError('NOT_FOUND', 'mapped', { from: (err as RpcError).code });
        }
      };
      const { address } = await h.serve({ services: [FixtureService], interceptors: [mapErrors] });
      const client = h.client({ endpoints: { Fixture: [address] } });
      await expect(client.invoke('Fixture', 'behave', ['boom'], { metadata: { 'x-fail-code': 'INTERNAL' } })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        details: { from: 'INTERNAL' },
      });
      expect(seen).toEqual(['INTERNAL']);
    });
  });

  describe('timing', () => {
    it('measures the time around next() on both sides', async () => {
      const DELAY_MS = 100;
      const measured: Record<string, number> = {};
      const timer =
        (side: string): InterceptorFn =>
        async (_ctx, next) => {
          const started = performance.now();
          try {
            return await next();
          } finally {
            measured[side] = performance.now() - started;
          }
        };
      const { address } = await h.serve({ services: [FixtureService], interceptors: [timer('server')] });
      const client = h.client({ endpoints: { Fixture: [address] }, interceptors: [timer('client')] });
      await client.invoke('Fixture', 'echo', [0]); // connect first, so only the call is timed
      await client.invoke('Fixture', 'behave', ['timed'], { metadata: { 'x-delay-ms': String(DELAY_MS) } });
      expect(measured.server).toBeGreaterThanOrEqual(DELAY_MS - 2);
      expect(measured.server).toBeLessThanOrEqual(DELAY_MS + 50);
      expect(measured.client).toBeGreaterThanOrEqual(measured.server);
      expect(measured.client).toBeLessThanOrEqual(DELAY_MS + 50);
    });
  });

  describe('classes and the container', () => {
    it("resolves interceptor classes through the app's container, with or without their own @injectable()", async () => {
      const { app, address } = await h.serve({ services: [OnionService] });
      const client = h.client({ endpoints: { Onion: [address] } });
      await expect(client.invoke('Onion', 'peel')).resolves.toBe('core');
      await expect(client.invoke('Onion', 'peel')).resolves.toBe('core');
      // Both interceptors were given the container's one Recorder, and used it on every call.
      expect(app.get(Recorder).entries).toBe(4);
      expect(trail.filter((t) => t === 'server:class>' || t === 'server:method>')).toHaveLength(4);
    });

    it('resolves app-level interceptor classes through the container for calls it serves', async () => {
      const { app, address } = await h.serve({ services: [FixtureService], interceptors: [ClassInterceptor, MethodInterceptor] });
      const client = h.client({ endpoints: { Fixture: [address] } });
      await client.invoke('Fixture', 'echo', [1]);
      expect(trail).toEqual(['server:class>', 'server:method>', '<server:method', '<server:class']);
      expect(app.get(Recorder).entries).toBe(2);
    });

    it('resolves client interceptor classes through a container given to createClient', async () => {
      const { address } = await h.serve({ services: [FixtureService] });
      const container = new Container({ autobind: true, defaultScope: 'Singleton' });
      const client = createClient({ logger: false, endpoints: { Fixture: [address] }, container, interceptors: [ClassInterceptor] });
      try {
        await client.invoke('Fixture', 'echo', [1]);
        expect(trail).toEqual(['server:class>', '<server:class']);
        expect(container.get(Recorder).entries).toBe(1);
      } finally {
        await client.close();
      }
    });
  });
});
