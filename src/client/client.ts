import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { EndpointView } from '../balancer';
import { InstanceCache, type Registry } from '../discovery';
import { RpcError } from '../errors';
import type { Interceptor, InterceptorFn, InterceptorLike } from '../interceptors';
import type { CodecName } from '../protocol';
import type { BreakerStateChange } from '../resilience';
import type { Transport } from '../transport';
import { DEFAULT_STREAM_WINDOW, type RemoteStream, RemoteStreamHandle, type ResolvedStreamWindow } from '../stream';
import { checkClientPolicy, type ClientPolicy } from './client-policy';
import type { ClientStats } from './client-stats';
import { ChannelPool } from './connection/channel-pool';
import { asInvalidArgument, beforeAnyAttempt, type CallOptions, type ClientLife, clientClosedError, type MethodCaller } from './method-caller';
import type { Class, ContractResolver, Remote } from './remote';
import { ReflectionFacts } from './reflection-facts';
import { createRemoteProxy } from './remote-proxy';
import { EndpointHealthTable } from './routing/endpoint-health';
import { Targets } from './targets';

export type { CallOptions } from './method-caller';

/** What a Client is built from; createClient and createApp validate user options into this. */
export interface ClientDeps {
  registry: Registry;
  transport: Transport;
  codec: CodecName;
  globalInterceptors: readonly InterceptorLike[];
  /** Turns an interceptor class into an instance (the app's container, or `new`). */
  resolveInterceptor: (i: InterceptorLike) => Interceptor | InterceptorFn;
  resolveContract: ContractResolver;
  logger: Logger;
  maxFrameBytes: number;
  connectTimeoutMs: number;
  /** The app-wide default policy, the least specific layer. */
  defaultPolicy: ClientPolicy;
  /** Pings on quiet connections; false turns them off. */
  keepalive: { intervalMs: number; timeoutMs: number } | false;
  /** The window this client's streams grant (`streams.window`). Default 32 messages / 1 MiB. */
  streamWindow?: ResolvedStreamWindow;
}

/** Events a Client emits. */
export interface ClientEvents {
  /** A circuit breaker of one (endpoint, service) changed state. */
  breaker: [BreakerStateChange];
  /** An endpoint of a service left the registry's set; its state (health, breakers) is gone. */
  endpointRemoved: [{ endpoint: string; service: string }];
}

/**
 * Calls remote services: typed proxies (`proxy`) and calls by name (`invoke`). One client holds
 * one multiplexed connection per endpoint, shared by all its proxies. Create it with createClient
 * (or get the app's through `app.client`). Emits `'breaker'` on every breaker state change.
 *
 * The facade only: targets and their method callers are assembled in targets.ts, a call runs in
 * method-caller.ts, routing state lives in routing/, connections in connection/.
 */
export class Client extends EventEmitter<ClientEvents> {
  private readonly pool: ChannelPool;
  private readonly cache: InstanceCache;
  private readonly health: EndpointHealthTable;
  private readonly targets: Targets;
  private readonly life: ClientLife = { closed: false };
  private closed: Promise<void> | null = null;

  /** Throws RivetConfigError for a bad default policy. */
  constructor(deps: ClientDeps) {
    super();
    const defaultPolicy = checkClientPolicy(deps.defaultPolicy, 'default client policy');
    this.pool = new ChannelPool({
      transport: deps.transport,
      codecs: [deps.codec],
      maxFrameBytes: deps.maxFrameBytes,
      connectTimeoutMs: deps.connectTimeoutMs,
      logger: deps.logger,
      keepalive: deps.keepalive,
    });
    this.cache = new InstanceCache(deps.registry);
    const onBreakerChange = (e: BreakerStateChange): void => {
      deps.logger.warn({ service: e.service, peer: e.endpoint, state: e.state }, `circuit breaker ${e.state}`);
      this.emit('breaker', e);
    };
    this.health = new EndpointHealthTable(this.cache, this.pool, onBreakerChange, (e) => this.emit('endpointRemoved', e));
    this.targets = new Targets({
      cache: this.cache,
      pool: this.pool,
      health: this.health,
      logger: deps.logger,
      defaultPolicy,
      globalInterceptors: deps.globalInterceptors,
      resolveInterceptor: deps.resolveInterceptor,
      resolveContract: deps.resolveContract,
      life: this.life,
      streamWindow: deps.streamWindow ?? DEFAULT_STREAM_WINDOW,
      reflection: new ReflectionFacts(),
    });
  }

  /**
   * A typed proxy of a remote service, named by its `@Service` class or by its name.
   * Throws RivetConfigError at once for a bad policy or a class that is not a `@Service`.
   */
  proxy<T = unknown>(target: string | Class<T>, policy?: ClientPolicy): Remote<T> {
    const t = this.targets.make(target, policy);
    return createRemoteProxy(t.service, (method) => {
      const caller = this.targets.caller(t, method);
      // A server or bidi stream returns its RemoteStream at once; everything else a promise.
      const kind = t.contract?.methods[method]?.stream;
      if (kind === 'server' || kind === 'bidi') return (...args: unknown[]) => caller.stream(args, undefined) as unknown as Promise<unknown>;
      return (...args: unknown[]) => caller.call(args, undefined);
    }) as Remote<T>;
  }

  /**
   * Calls `service.method(...args)` by name. Never throws: a bad service or method name, bad
   * arguments or bad call options reject with `RpcError('INVALID_ARGUMENT')`, a closed client with
   * `UNAVAILABLE` (`CLIENT_CLOSED`).
   */
  invoke(service: string, method: string, args: unknown[] = [], call?: CallOptions): Promise<unknown> {
    const caller = this.callerByName('invoke', service, method, args, call);
    return caller instanceof RpcError ? Promise.reject(caller) : caller.call(args, call);
  }

  /**
   * Opens a server or bidi stream of `service.method` by name, and returns it at once (for a bidi
   * stream the first argument is the input: any AsyncIterable or Iterable). The method's kind is
   * learnt from the server's handshake. Never throws: bad arguments or options, or a closed
   * client, make the iteration throw (`INVALID_ARGUMENT`, `UNAVAILABLE`). Client streams are
   * called with `invoke(service, method, [input, ...args])`.
   */
  stream(service: string, method: string, args: unknown[] = [], call?: CallOptions): RemoteStream<unknown> {
    const caller = this.callerByName('stream', service, method, args, call);
    return caller instanceof RpcError ? RemoteStreamHandle.failed(caller) : caller.stream(args, call);
  }

  /**
   * The caller of `service.method` for a call by name, or the error that call ends with (a closed
   * client, bad names, arguments or options): invoke and stream check their input the same way.
   */
  private callerByName(op: 'invoke' | 'stream', service: string, method: string, args: unknown, call: unknown): MethodCaller | RpcError {
    if (this.life.closed) return beforeAnyAttempt(clientClosedError());
    if (typeof service !== 'string' || service === '' || typeof method !== 'string' || method === '') {
      return beforeAnyAttempt(
        new RpcError('INVALID_ARGUMENT', `${op}(service, method, args): service and method must be non-empty strings, got ${describe(service)} and ${describe(method)}`),
      );
    }
    if (!Array.isArray(args)) return beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', `${op}(service, method, args): args must be an array`));
    if (call !== undefined && (typeof call !== 'object' || call === null)) {
      return beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', `${op}(service, method, args, options): options must be an object, got ${describe(call)}`));
    }
    try {
      return this.targets.caller(this.targets.named(service), method);
    } catch (err) {
      return beforeAnyAttempt(asInvalidArgument(err));
    }
  }

  /** The endpoints of a service as this client's calls by name see them: state, in flight, latency, breaker. */
  endpoints(service: string): readonly EndpointView[] {
    const isNew = !this.targets.hasNamed(service);
    const t = this.targets.named(service);
    if (isNew) void this.cache.load(service).catch(() => undefined);
    return t.router.views();
  }

  /** A snapshot of every endpoint this client has called, and each target's retry budget. */
  stats(): ClientStats {
    const endpoints: ClientStats['endpoints'] = [];
    const retryBudget: ClientStats['retryBudget'] = [];
    for (const t of this.targets.all) {
      for (const e of t.router.views()) {
        endpoints.push({ endpoint: e.address, service: t.service, breaker: e.breaker, inFlight: e.inFlight, calls: e.calls, failures: e.failures });
      }
      retryBudget.push({ service: t.service, ...t.budget.snapshot() });
    }
    return { endpoints, retryBudget };
  }

  /**
   * Every endpoint of every target this client has made (proxies and calls by name), each with
   * its live view (connection state, breaker, ejection, in flight, latency) and its counters
   * (attempts sent, failures that count against it). What dashboards read; `stats()` is the
   * smaller snapshot.
   */
  endpointViews(): Array<{ readonly service: string; readonly view: EndpointView; readonly calls: number; readonly failures: number }> {
    const out: Array<{ service: string; view: EndpointView; calls: number; failures: number }> = [];
    for (const t of this.targets.all) for (const e of t.router.views()) out.push({ service: t.service, view: e, calls: e.calls, failures: e.failures });
    return out;
  }

  /** Closes every connection; calls still pending fail with UNAVAILABLE. Idempotent. */
  close(): Promise<void> {
    if (this.closed === null) {
      this.life.closed = true;
      this.cache.close();
      this.health.close();
      this.closed = this.pool.close();
    }
    return this.closed;
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value;
}
