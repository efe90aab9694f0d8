import { randomUUID } from 'node:crypto';
import type { Container } from 'inversify';
import type { Logger } from 'pino';
import { type Class, Client, type ClientPolicy, type Remote } from '../client';
import { getServiceClasses, getServiceMetadata } from '../decorators';
import { toMiddleware } from '../interceptors';
import type { Instance, Registry } from '../discovery';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { DEFAULT_DRAIN_TIMEOUT_MS, Server } from '../server';
import { TcpTransport } from '../transport';
import { durationMs, optionsObject, rejectUnknownKeys } from '../util';
import { bindRemoteInjections, bindSingleton, containerInterceptorResolver, createDefaultContainer } from './container';
import { resolveContract } from './contract';
import { defaultRegistry } from './default-registry';
import { createLogger } from './logger';
import { type AppOptions, resolveAppOptions } from './options';
import { scanModules } from './scan';
import { buildServiceDefinitions } from './service-definitions';

/** Options of {@link App.close}. */
export interface CloseOptions {
  /** How long in-flight calls may take to finish before they are aborted. Default 10 s. */
  drainTimeoutMs?: number;
}

/**
 * A running set of services: its container, its server, and a client for the services it calls.
 * Made by {@link createApp}.
 */
export class App {
  private address: { host: string; port: number } | null = null;
  private instances: Instance[] = [];
  private closing: Promise<void> | null = null;

  /** @internal use createApp. */
  constructor(
    /** The inversify container holding the services and their dependencies. */
    readonly container: Container,
    /** The app's logger; child loggers hang off it. */
    readonly logger: Logger,
    private readonly server: Server,
    private readonly rpcClient: Client,
    private readonly registry: Registry,
    private readonly versions: ReadonlyMap<string, string | undefined>,
  ) {}

  /** The names of the services this app serves. */
  get services(): string[] {
    return this.server.serviceNames;
  }

  /**
   * Starts serving and registers every service in the registry. Port 0 (the default) picks an
   * ephemeral port; the host defaults to 127.0.0.1. Resolves with the bound address.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ host: string; port: number }> {
    if (this.closing !== null) throw new RivetConfigError(RivetErrorCode.RIVET_ERR_STATE, 'this app is closed; create a new one to listen again.');
    this.address = await this.server.listen(port, host);
    // A wildcard address is not something a client can dial.
    const advertised = this.address.host === '0.0.0.0' || this.address.host === '::' ? '127.0.0.1' : this.address.host;
    const processId = randomUUID();
    this.instances = this.server.serviceNames.map((service) => {
      const instance: Instance = { id: `${service}-${processId}`, service, host: advertised, port: this.address!.port, weight: 1, metadata: {} };
      const version = this.versions.get(service);
      if (version !== undefined) instance.version = version;
      return instance;
    });
    await Promise.all(this.instances.map((i) => this.registry.register(i)));
    this.logger.info({ host: this.address.host, port: this.address.port, services: this.server.serviceNames }, 'listening');
    return { ...this.address };
  }

  /**
   * A typed proxy of a service (this app's or another's), named by class or by name. It always
   * goes through the client pipeline. Throws RivetConfigError for a bad policy.
   */
  client<T = unknown>(target: string | Class<T>, policy?: ClientPolicy): Remote<T> {
    return this.rpcClient.proxy(target, policy);
  }

  /** The app's client, for calls by name (`invoke`). */
  get rpc(): Client {
    return this.rpcClient;
  }

  /** An instance from the app's container (a service, or anything it can build). */
  get<T>(cls: Class<T>): T {
    return this.container.get<T>(cls);
  }

  /**
   * Graceful shutdown: stops accepting connections, deregisters from the registry, tells
   * connected clients to send new calls elsewhere, lets in-flight calls finish (up to
   * `drainTimeoutMs`), then closes every connection and the app's client. Idempotent.
   */
  close(opts?: CloseOptions): Promise<void> {
    if (this.closing === null) {
      const o = optionsObject('close options', opts);
      rejectUnknownKeys('close options', o, ['drainTimeoutMs']);
      const drainTimeoutMs = o.drainTimeoutMs === undefined ? DEFAULT_DRAIN_TIMEOUT_MS : durationMs('close options.drainTimeoutMs', o.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS);
      this.closing = this.shutdown(drainTimeoutMs);
    }
    return this.closing;
  }

  private async shutdown(drainTimeoutMs: number): Promise<void> {
    await this.server.stopAccepting();
    // Deregister before draining, so clients stop picking this instance at once.
    await Promise.all(
      this.instances.map((i) =>
        this.registry.deregister(i).catch((err: unknown) => this.logger.warn({ service: i.service, err: (err as Error).message }, 'deregister failed')),
      ),
    );
    await this.server.close(drainTimeoutMs);
    await this.rpcClient.close();
    if (this.address !== null) this.logger.info({ port: this.address.port }, 'closed');
  }
}

/**
 * Collects `@Service` classes into an inversify container and prepares to serve them over TCP.
 * Nothing listens until `app.listen()`. Throws RivetConfigError for bad options, a class that is
 * not a service, two services with one name, or a bad interceptor or `@RemoteService` policy.
 */
export async function createApp(opts: AppOptions = {}): Promise<App> {
  const o = resolveAppOptions(opts);
  if (o.scan.length > 0) await scanModules(o.scan);
  const logger = createLogger(o.logger, 'rivet');
  const container = o.container ?? createDefaultContainer();
  const registry = o.registry ?? defaultRegistry;
  const classes = o.services ?? [...getServiceClasses()];
  const resolveInterceptor = containerInterceptorResolver(container);
  const transport = new TcpTransport();
  const client = new Client({
    registry,
    transport,
    codec: o.codec,
    globalInterceptors: o.interceptors,
    resolveInterceptor,
    resolveContract,
    logger: logger.child({ component: 'client' }),
    maxFrameBytes: o.maxFrameBytes,
    connectTimeoutMs: o.connectTimeoutMs,
    defaultPolicy: o.policy,
  });
  bindRemoteInjections(container, client);
  for (const cls of classes) bindSingleton(container, cls);
  const services = buildServiceDefinitions(classes, container, resolveInterceptor);
  // Serve the agreed codec first when a client offers both.
  const allowedCodecs = o.codec === 'json' ? (['json', 'msgpack'] as const) : (['msgpack', 'json'] as const);
  const server = new Server({
    transport,
    services,
    middlewares: o.interceptors.map((i) => toMiddleware(resolveInterceptor(i))),
    allowedCodecs,
    maxFrameBytes: o.maxFrameBytes,
    exposeErrorStack: o.exposeErrorStack,
    logger: logger.child({ component: 'server' }),
  });
  const versions = new Map(classes.map((c) => [getServiceMetadata(c)!.name, getServiceMetadata(c)!.version]));
  return new App(container, logger, server, client, registry, versions);
}

