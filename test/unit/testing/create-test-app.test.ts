import { createApp, Method, RemoteService, type Remote, RivetConfigError, Service, UseInterceptors, type CallContext, type Next } from '../../../src';
import { createTestApp, MemoryTransport, type TestApp } from '../../../src/testing';

@Service('Clock')
class RealClock {
  @Method({ idempotent: true })
  now(): number {
    return Date.now();
  }
}

@Service('Clock')
class FrozenClock {
  @Method({ idempotent: true })
  now(): number {
    return 42;
  }
}

const seen: string[] = [];
function tag(ctx: CallContext, next: Next): Promise<unknown> {
  seen.push(`${ctx.side}:${ctx.service}.${ctx.method}`);
  return next();
}

@Service('Greeter')
@UseInterceptors(tag)
class Greeter {
  constructor(@RemoteService(RealClock) private readonly clock: Remote<RealClock>) {}

  @Method()
  async greet(name: string): Promise<string> {
    return `hello ${name} at ${await this.clock.now()}`;
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('createTestApp', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    seen.length = 0;
  });

  it('serves the listed services and their @RemoteService dependencies through the real pipeline', async () => {
    app = await createTestApp({ services: [Greeter, FrozenClock], interceptors: [tag] });
    expect(await app.client(Greeter).greet('Ada')).toBe('hello Ada at 42');
    // Global interceptors run on both sides, class interceptors on the server; the nested call too.
    expect(seen).toEqual(
      expect.arrayContaining(['client:Greeter.greet', 'server:Greeter.greet', 'client:Clock.now', 'server:Clock.now']),
    );
    expect(await app.rpc.invoke('Clock', 'now')).toBe(42);
    expect(app.get(FrozenClock)).toBeInstanceOf(FrozenClock);
  });

  it('listens on its own memory network, not on a port', async () => {
    app = await createTestApp({ services: [FrozenClock] });
    expect(app.address).toMatch(/^memory:\d+$/);
    await app.client<FrozenClock>('Clock').now();
    expect(app.network.links()).toHaveLength(1);
    const other = await createTestApp({ services: [RealClock] });
    try {
      expect(other.network).not.toBe(app.network);
      expect(await other.rpc.invoke('Clock', 'now')).not.toBe(42);
    } finally {
      await other.close();
    }
  });

  it('speaks the codec it is given', async () => {
    app = await createTestApp({ services: [FrozenClock], codec: 'json' });
    expect(await app.client<FrozenClock>('Clock').now()).toBe(42);
  });

  it('refuses missing or empty services (RIVET_ERR_INVALID_OPTION) and unknown keys (RIVET_ERR_UNKNOWN_OPTION)', async () => {
    for (const bad of [{}, { services: [] }]) {
      const err = await rejection(createTestApp(bad as never));
      expect(err).toBeInstanceOf(RivetConfigError);
      expect(err).toMatchObject({ code: 'RIVET_ERR_INVALID_OPTION' });
    }
    expect(await rejection(createTestApp({ services: [FrozenClock], port: 4000 } as never))).toMatchObject({ code: 'RIVET_ERR_UNKNOWN_OPTION' });
  });

  it('refuses what createApp refuses: two services with one name', async () => {
    const err = await rejection(createTestApp({ services: [RealClock, FrozenClock] }));
    expect(err).toMatchObject({ code: 'RIVET_ERR_SERVICE' });
  });

  it('close() is idempotent, and the network has no open link after it', async () => {
    const t = await createTestApp({ services: [FrozenClock] });
    await t.client<FrozenClock>('Clock').now();
    await Promise.all([t.close(), t.close()]);
    expect(t.network.links()).toEqual([]);
  });
});

describe('createApp on a custom transport', () => {
  it('refuses TLS options, which a custom transport would ignore', async () => {
    const err = await rejection(createApp({ logger: false, services: [FrozenClock], tls: { key: 'k', cert: 'c' } } as never, { transport: new MemoryTransport() }));
    expect(err).toMatchObject({ code: 'RIVET_ERR_INVALID_OPTION' });
  });
});
