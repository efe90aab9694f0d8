import { randomUUID } from 'node:crypto';
import type { Container } from 'inversify';
import type { Logger } from 'pino';
import { type Class, Client, type ClientPolicy, type Remote } from '../client';
import { getServiceClasses } from '../decorators';
import type { Instance, Registry } from '../discovery';
import type { AdmissionParts, ServerLoad, ShedEvent } from '../admission';
import { isRpcError, RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import { MethodStats } from '../http';
import { toMiddleware } from '../interceptors';
import { prometheusMetrics } from '../observability';
import { DEFAULT_DRAIN_TIMEOUT_MS, HealthState, healthServiceDefinition, reflectionServiceDefinition, Server, type ServiceDefinition } from '../server';
import { durationMs, optionsObject, rejectUnknownKeys } from '../util';
import { bindRemoteInjections, bindSingleton, containerInterceptorResolver, createDefaultContainer } from './container';
import { resolveContract } from './contract';
import { defaultRegistry } from './default-registry';
import { HttpSurface, type HttpSurfaceParts } from './http-surface';
import { createLogger } from './logger';
import { type AdvertiseOptions, type AppOptions, resolveAppOptions } from './options';
import { scanModules } from './scan';
import { buildServiceDefinitions } from './service-definitions';
import { buildReflectionListing } from './reflection-listing';
import { wireTelemetry } from './telemetry';
import { createTransport } from './transport';
import type { Transport } from '../transport';

/** Options of {@link App.close}. */
export interface CloseOptions {
  /** How long in-flight calls may take to finish before they are aborted. Default 10 s. */
  drainTimeoutMs?: number;
}

/** What an App is made of; built by createApp. */
interface AppParts {
  container: Container;
  logger: Logger;
  server: Server;
  client: Client;
  registry: Registry;
  health: HealthState;
  versions: ReadonlyMap<string, string | undefined>;
  advertise: AdvertiseOptions | undefined;
  /** The global interceptors, for their telemetry hooks. */
  interceptors: readonly unknown[];
  /** The HTTP surface's parts, when `http` is set; the app adds what it knows of itself. */
  http: Omit<HttpSurfaceParts, 'state'> | undefined;
}

/** What {@link App.listen} resolves with. */
export interface ListenAddress {
  /** The binary server's bound host. */
  host: string;
  /** The binary server's bound port. */
  port: number;
  /** The HTTP server's bound port, when the app has `http`. */
  httpPort?: number;
}

/**
 * A running set of services: its container, its server, and a client for the services it calls.
 * Made by {@link createApp}.
 */
export class App {
  /** The inversify container holding the services and their dependencies. */
  readonly container: Container;
  /** The app's logger; child loggers hang off it. */
  readonly logger: Logger;
  private address: { host: string; port: number } | null = null;
  private instances: Instance[] = [];
  private closing: Promise<void> | null = null;
  private readonly stopTelemetry: () => void;
  private registered = false;
  private readonly http: HttpSurface | undefined;

  /** @internal use createApp. */
  constructor(private readonly parts: AppParts) {
    this.container = parts.container;
    this.logger = parts.logger;
    const admission = parts.server.admission;
    this.stopTelemetry = wireTelemetry(parts.interceptors, {
      logger: parts.logger,
      client: parts.client,
      server: { count: () => parts.server.connectionCount, port: () => this.address?.port },
      admission:
        admission === null
          ? undefined
          : {
              load: () => admission.load(),
              queueDelayMs: () => admission.queueDelayMs,
              port: () => this.address?.port,
              onShed: (listener) => {
                const before = admission.onShed;
                admission.onShed = (e: ShedEvent) => {
                  before?.(e);
                  listener({ ...e, code: e.reason === 'DEADLINE' ? 'DEADLINE_EXCEEDED' : 'RESOURCE_EXHAUSTED' });
                };
              },
            },
    });
    this.http =
      parts.http === undefined
        ? undefined
        : new HttpSurface({
            ...parts.http,
            state: {
              port: () => (this.closing === null ? this.address?.port : undefined),
              registered: () => this.registered,
              closing: () => this.closing !== null,
            },
          });
  }

  /** The HTTP server's port once `listen()` has started it; undefined without `http` or before then. */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /**
   * The server's load now: handler calls running (`concurrency`), the async concurrency `limit`
   * (Infinity without one), calls `queued` for admission, calls shed over the last second, and
   * event-loop utilization (0 to 1). With `admission: false`, `concurrency` counts calls in flight
   * and `limit` is Infinity. Cheap enough to poll; never throws.
   */
  load(): ServerLoad {
    return this.parts.server.load();
  }

  /** The names of the services this app serves (the built-in health service aside). */
  get services(): string[] {
    return [...this.parts.versions.keys()];
  }

  /**
   * Starts serving and registers every service in the registry. Port 0 (the default) picks an
   * ephemeral port; the host defaults to 127.0.0.1. With `http` set, the HTTP server starts
   * too, before the services are registered. Resolves with the bound address (and `httpPort`).
   * Throws RivetConfigError when called twice or after close(); rejects when a port is taken.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<ListenAddress> {
    if (this.closing !== null) throw new RivetConfigError(RivetErrorCode.RIVET_ERR_STATE, 'this app is closed; create a new one to listen again.');
    let address: { host: string; port: number };
    try {
      address = await this.parts.server.listen(port, host);
    } catch (err) {
      throw listenError(err, host, port);
    }
    this.address = address;
    let httpAddress: { host: string; port: number } | undefined;
    try {
      httpAddress = await this.http?.start();
    } catch (err) {
      // Fail clean here too: the binary port is released before the HTTP error reaches the caller.
      await this.parts.server.unlisten();
      this.address = null;
      const http = this.parts.http?.options;
      throw http === undefined ? err : bindError(err, `app.listen() failed: cannot start the HTTP server (createApp options.http) on ${http.host}:${http.port}`, `; the port ${address.port} was released`);
    }
    const adv = this.parts.advertise;
    // A wildcard address is not something a client can dial.
    const wildcard = address.host === '0.0.0.0' || address.host === '::';
    const advertisedHost = adv?.host ?? (wildcard ? '127.0.0.1' : address.host);
    const processId = randomUUID();
    this.instances = this.services.map((service) => {
      const instance: Instance = {
        id: `${service}-${processId}`,
        service,
        host: advertisedHost,
        port: adv?.port ?? address.port,
        weight: adv?.weight ?? 1,
        metadata: { ...(adv?.metadata ?? {}) },
      };
      const version = this.parts.versions.get(service);
      if (version !== undefined) instance.version = version;
      if (adv?.zone !== undefined) instance.zone = adv.zone;
      return instance;
    });
    const registered: Instance[] = [];
    const outcomes = await Promise.allSettled(
      this.instances.map(async (i) => {
        await this.parts.registry.register(i);
        registered.push(i);
      }),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed !== undefined) {
      // Fail clean: take back what did get registered, release the port, and leave the app as it
      // was before listen(), so a second listen() works once the registry is back.
      await Promise.all(registered.map((i) => this.parts.registry.deregister(i).catch(() => undefined)));
      await this.http?.stop();
      await this.parts.server.unlisten();
      this.address = null;
      this.instances = [];
      throw registryError(failed.reason, this.parts.registry, address);
    }
    this.registered = this.closing === null;
    this.logger.info({ host: address.host, port: address.port, services: this.services }, 'listening');
    return httpAddress === undefined ? { ...address } : { ...address, httpPort: httpAddress.port };
  }

  /**
   * A typed proxy of a service (this app's or another's), named by class or by name. It always
   * goes through the client pipeline. Throws RivetConfigError for a bad policy.
   */
  client<T = unknown>(target: string | Class<T>, policy?: ClientPolicy): Remote<T> {
    return this.parts.client.proxy(target, policy);
  }

  /** The app's client, for calls by name (`invoke`), stats and breaker events. */
  get rpc(): Client {
    return this.parts.client;
  }

  /** An instance from the app's container (a service, or anything it can build). */
  get<T>(cls: Class<T>): T {
    return this.container.get<T>(cls);
  }

  /**
   * Marks a service healthy or not, as `rivet.Health` reports it. NOT_SERVING also takes the
   * service out of the registry, so clients stop picking this instance; SERVING puts it back.
   * Throws RivetConfigError for a service this app does not serve.
   */
  setHealth(service: string, status: 'SERVING' | 'NOT_SERVING'): void {
    if (status !== 'SERVING' && status !== 'NOT_SERVING') {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `setHealth status must be 'SERVING' or 'NOT_SERVING', got ${JSON.stringify(status)}.`);
    }
    const before = this.parts.health.status(service);
    if (!this.parts.health.set(service, status)) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SERVICE, `setHealth: this app does not serve "${service}"; it serves ${this.services.join(', ')}.`);
    }
    if (before === status || this.closing !== null) return;
    for (const instance of this.instances.filter((i) => i.service === service)) {
      const change = status === 'SERVING' ? this.parts.registry.register(instance) : this.parts.registry.deregister(instance);
      change.catch((err: unknown) => this.logger.warn({ service, err: (err as Error).message }, 'registry update for health change failed'));
    }
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
    this.parts.health.drain();
    await this.parts.server.stopAccepting();
    // Deregister before draining, so clients stop picking this instance at once.
    await Promise.all(
      this.instances.map((i) =>
        this.parts.registry.deregister(i).catch((err: unknown) => this.logger.warn({ service: i.service, err: (err as Error).message }, 'deregister failed')),
      ),
    );
    this.registered = false;
    // The HTTP server outlives the drain, so probes read 503 and gateway calls finish; gateway
    // calls that arrive meanwhile are refused UNAVAILABLE by the server.
    await this.parts.server.close(drainTimeoutMs);
    await this.http?.stop();
    await this.parts.client.close();
    await this.parts.http?.prometheus?.shutdown();
    this.stopTelemetry();
    if (this.address !== null) this.logger.info({ port: this.address.port }, 'closed');
  }
}

/** A failed bind, saying which address and what to do; Node's `code` (EADDRINUSE, EACCES) is kept. */
function listenError(err: unknown, host: string, port: number): unknown {
  return bindError(err, `app.listen(${port}, '${host}') failed: cannot listen on ${host}:${port}`, '');
}

/** `what` failed to bind: `what: why and what to do` + `after`, keeping Node's `code`. */
function bindError(err: unknown, what: string, after: string): unknown {
  // Duck-typed: an error from another realm (a test sandbox) is not `instanceof Error`.
  if (err instanceof RivetConfigError || typeof (err as Error | undefined)?.message !== 'string') return err;
  const code = (err as NodeJS.ErrnoException).code;
  const fix =
    code === 'EADDRINUSE'
      ? `the port is in use (EADDRINUSE): stop what holds it, or listen on another port (0 picks a free one)`
      : code === 'EACCES'
        ? `permission denied (EACCES): ports below 1024 need privileges; use a higher port`
        : code === 'EADDRNOTAVAIL'
          ? `no such local address (EADDRNOTAVAIL): listen on an address of this host, or 0.0.0.0`
          : (err as Error).message;
  const out = new Error(`${what}: ${fix}${after}`, { cause: err }) as NodeJS.ErrnoException;
  if (code !== undefined) out.code = code;
  return out;
}

/** A registration the registry refused, naming the registry and what to do; an RpcError stays one, with its code. */
function registryError(err: unknown, registry: Registry, address: { host: string; port: number }): unknown {
  const kind = registry.constructor?.name ?? 'registry';
  const text = (err as Error | undefined)?.message;
  const why = typeof text === 'string' ? text : String(err);
  const message = `app.listen() could not register this app's services in its ${kind} (${why}); the port ${address.port} was released. Make the registry reachable, then call listen() again.`;
  if (err instanceof RivetConfigError) return err;
  if (isRpcError(err)) return new RpcError(err.code, message, err.details, { cause: err });
  return new Error(message, { cause: err });
}

/**
 * @internal What Rivet's own entry points pass createApp beside the user's options: the testing
 * kit serves over an in-memory transport instead of TCP.
 */
export interface AppInternals {
  /** Serve and call over this transport instead of TCP or TLS (the TLS options are then refused). */
  transport?: Transport;
  /** Switch parts of admission off, for the ablation of docs/overload.md (the benchmark's knob). */
  admissionParts?: Partial<AdmissionParts>;
}

/**
 * Collects `@Service` classes into an inversify container and prepares to serve them over TCP
 * (or TLS). Nothing listens until `app.listen()`. Throws RivetConfigError for bad options, a class
 * that is not a service, two services with one name, or a bad interceptor or `@RemoteService` policy.
 */
export async function createApp(opts: AppOptions = {}, internals?: AppInternals): Promise<App> {
  const o = resolveAppOptions(opts);
  if (o.scan.length > 0) await scanModules(o.scan);
  const logger = createLogger(o.logger, 'rivet');
  const serverLog = logger.child({ component: 'server' });
  const container = o.container ?? createDefaultContainer();
  const registry = o.registry ?? defaultRegistry;
  const classes = o.services ?? [...getServiceClasses()];
  const resolveInterceptor = containerInterceptorResolver(container);
  if (internals?.transport !== undefined && (o.tls !== undefined || o.clientTls !== undefined)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, 'createApp options.tls and clientTls do not apply to an app on a custom transport; leave them out.');
  }
  // /metrics reads a meter provider of Rivet's own, fed by one more metrics interceptor, outermost.
  const prometheus = o.http !== undefined && (o.http.metrics ?? o.hasMetrics) ? await prometheusMetrics() : undefined;
  const interceptors = prometheus === undefined ? o.interceptors : [prometheus.interceptor, ...o.interceptors];
  const transport = internals?.transport ?? createTransport(o.tls, o.clientTls, serverLog, 'createApp options', 'clientTls');
  const client = new Client({
    registry,
    transport,
    codec: o.codec,
    globalInterceptors: interceptors,
    resolveInterceptor,
    resolveContract,
    logger: logger.child({ component: 'client' }),
    maxFrameBytes: o.maxFrameBytes,
    connectTimeoutMs: o.connectTimeoutMs,
    defaultPolicy: o.policy,
    keepalive: o.keepalive,
    streamWindow: o.streamWindow,
  });
  bindRemoteInjections(container, client);
  for (const cls of classes) bindSingleton(container, cls);
  const services = buildServiceDefinitions(classes, container, resolveInterceptor);
  const health = new HealthState(services.map((s) => s.name));
  const builtins: ServiceDefinition[] = [healthServiceDefinition(health)];
  if (o.reflection) builtins.push(reflectionServiceDefinition(buildReflectionListing(classes, services, o.contract)));
  // The dashboard's per-method statistics: the outermost server stage, so refused calls count too.
  const methodStats = o.http?.dashboard === true ? new MethodStats(services.flatMap((s) => s.methods.map((m) => ({ service: s.name, method: m.name })))) : undefined;
  const middlewares = interceptors.map((i) => toMiddleware(resolveInterceptor(i)));
  // Serve the agreed codec first when a client offers both.
  const allowedCodecs = o.codec === 'json' ? (['json', 'msgpack'] as const) : (['msgpack', 'json'] as const);
  const server = new Server({
    transport,
    services: [...services, ...builtins],
    middlewares: methodStats === undefined ? middlewares : [methodStats.middleware(), ...middlewares],
    allowedCodecs,
    maxFrameBytes: o.maxFrameBytes,
    exposeErrorStack: o.exposeErrorStack,
    logger: serverLog,
    limits: o.limits,
    keepalive: o.keepalive,
    advertiseMethods: o.advertiseMethods,
    streamWindow: o.streamWindow,
    admission:
      o.admission === false || internals?.admissionParts === undefined
        ? o.admission
        : Object.freeze({ ...o.admission, parts: Object.freeze({ ...o.admission.parts, ...internals.admissionParts }) }),
  });
  const versions = new Map(services.map((s) => [s.name, s.version]));
  const http =
    o.http === undefined
      ? undefined
      : {
          options: o.http,
          tls: o.tls,
          logger: logger.child({ component: 'http' }),
          server,
          client,
          registry,
          health,
          services: services.map((s) => s.name),
          methodStats,
          prometheus,
        };
  return new App({ container, logger, server, client, registry, health, versions, advertise: o.advertise, interceptors, http });
}
