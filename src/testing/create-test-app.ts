import { type App, type CloseOptions, createApp, type LoggerInput } from '../app';
import type { Class, Client, ClientPolicy, Remote } from '../client';
import { MemoryRegistry } from '../discovery';
import { RivetConfigError, RivetErrorCode } from '../errors';
import type { InterceptorLike } from '../interceptors';
import type { CodecName } from '../protocol';
import { MemoryNetwork, MemoryTransport } from '../transport';
import { optionsObject, rejectUnknownKeys } from '../util';

/** Options of {@link createTestApp}. */
export interface TestAppOptions {
  /**
   * The `@Service` classes to serve. A `@RemoteService` dependency is served by whichever class
   * here carries its name: list a fake `@Service('Inventory')` to replace the real Inventory.
   * A dependency named by no class here fails its calls with UNAVAILABLE (`NO_INSTANCES`).
   */
  services: Function[];
  /** Global interceptors (server and client side), outermost, as in createApp; `faults()` works here. */
  interceptors?: InterceptorLike[];
  /** The default client policy of every proxy, as createApp's `policy`. */
  policy?: ClientPolicy;
  /** The codec spoken. Default 'msgpack', as createApp's. */
  codec?: CodecName;
  /** A pino logger or options. Default `false` (silent). */
  logger?: LoggerInput;
}

const TEST_APP_KEYS = ['services', 'interceptors', 'policy', 'codec', 'logger'] as const;

// The host the test app listens on in its own memory network; it shows in error messages.
const TEST_HOST = 'memory';

/**
 * An app made by {@link createTestApp}: its services, served over an in-memory network, and the
 * real client pipeline to call them.
 */
export class TestApp {
  /** @internal use createTestApp. */
  constructor(
    /** The app itself: its container, its client (`rpc`), `setHealth`. */
    readonly app: App,
    /** The in-memory network it serves on; its links have fault hooks (pause, drop). */
    readonly network: MemoryNetwork,
    /** Where it listens on that network (`'memory:1'`). */
    readonly address: string,
    private readonly registry: MemoryRegistry,
  ) {}

  /**
   * A typed proxy of a service of this app, named by class or by name, through the real client
   * pipeline (interceptors, deadline, retry, breaker, codec) as `App.client`. Throws
   * RivetConfigError for a bad policy.
   */
  client<T = unknown>(target: string | Class<T>, policy?: ClientPolicy): Remote<T> {
    return this.app.client(target, policy);
  }

  /** The app's client, for calls by name (`invoke`) and stats. */
  get rpc(): Client {
    return this.app.rpc;
  }

  /** An instance from the app's container (a service, or anything it can build). */
  get<T>(cls: Class<T>): T {
    return this.app.get(cls);
  }

  /** Closes the app as `App.close` does (drain, then close), and its registry. Idempotent. */
  async close(opts?: CloseOptions): Promise<void> {
    await this.app.close(opts);
    await this.registry.close();
  }
}

/**
 * Serves `services` in one app over an in-memory transport, with its own registry: the real
 * decorators, container, interceptors, codecs and client pipeline, and no sockets or ports, so a
 * test of a service and its `@RemoteService` dependencies (real, or fakes listed under the same
 * name) runs in milliseconds. Resolves with a {@link TestApp}; close it after the test.
 * Rejects with RivetConfigError for bad options or services, as createApp does.
 */
export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const o = optionsObject('createTestApp options', options);
  rejectUnknownKeys('createTestApp options', o, TEST_APP_KEYS);
  if (!Array.isArray(o.services) || o.services.length === 0) {
    throw new RivetConfigError(
      RivetErrorCode.RIVET_ERR_INVALID_OPTION,
      'createTestApp options.services must be a non-empty array of @Service classes, e.g. { services: [OrdersService, FakeInventory] }.',
    );
  }
  const network = new MemoryNetwork();
  const registry = new MemoryRegistry();
  const app = await createApp(
    {
      services: o.services as Function[],
      interceptors: o.interceptors as InterceptorLike[] | undefined,
      policy: o.policy as ClientPolicy | undefined,
      codec: o.codec as CodecName | undefined,
      logger: o.logger === undefined ? false : (o.logger as LoggerInput),
      registry,
    },
    { transport: new MemoryTransport(network) },
  );
  const { host, port } = await app.listen(0, TEST_HOST);
  return new TestApp(app, network, `${host}:${port}`, registry);
}
