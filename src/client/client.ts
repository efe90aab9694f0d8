import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { createBalancer, type EndpointView } from '../balancer';
import * as callLayer from '../call';
import type { CallContext, Invoker, Middleware } from '../call';
import { InstanceCache, type Registry } from '../discovery';
import { ErrorReason, isRpcError, RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import { type Interceptor, type InterceptorFn, type InterceptorLike, toAttemptMiddleware, toMiddleware } from '../interceptors';
import type { CodecName } from '../protocol';
import { type BreakerStateChange, Bulkhead, RETRY_ATTEMPT_METADATA_KEY, RetryBudget, type RetryPolicy } from '../resilience';
import type { Transport } from '../transport';
import { nonEmptyString } from '../util';
import { ChannelPool } from './channel-pool';
import { EndpointHealthTable } from './endpoint-health';
import { TargetTransports } from './target-transports';
import { ClientCall, withAttempts } from './client-call';
import { buildClientPipeline } from './client-pipeline';
import { checkClientPolicy, type ClientPolicy } from './client-policy';
import type { ClientStats } from './client-stats';
import { resolveCallRetryPolicy, resolveMethodPolicy, resolveTargetPolicy } from './method-policy';
import type { Class, ContractResolver, Remote, ServiceContract } from './remote';
import { OutlierDetector } from './outlier-detector';
import { createRemoteProxy } from './remote-proxy';
import { TargetRouter } from './target-router';

// Read once at load. TypeScript compiles a re-export to a getter, on an exports object V8 keeps in
// dictionary mode, so each use on the hot path was a getter call and a dictionary lookup.
const { currentContext, invokeNext } = callLayer;

/** Per-call options of {@link Client.invoke}. */
export interface CallOptions {
  /** Deadline of this call; the tighter of this and the policy's wins. */
  timeoutMs?: number;
  /** Aborting it cancels the call: a cancel frame goes to the server, and the call rejects with CANCELLED. */
  signal?: AbortSignal;
  /** String key/values sent with the call. */
  metadata?: Record<string, string>;
  /**
   * This call's retries, merged key by key over the method's policy (the call is the most specific
   * layer; a `budget` here is ignored, the budget is the target's). `false` turns them off. A bad
   * one rejects the call with INVALID_ARGUMENT before any attempt.
   */
  retry?: false | RetryPolicy;
}

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
}

/** One method's ready chain and the facts a call needs, built once and cached. */
class MethodCaller {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly invoker: Invoker,
    /** The chain's rejections already list their attempts (see ClientPipeline). */
    readonly errorsListAttempts: boolean,
    public timeoutMs: number,
    public idempotent: boolean,
    public idempotentKnown: boolean,
    /** False for a call by name until a call learns the method's facts from the server's handshake. */
    public factsKnown: boolean,
    /** The method's merged retry layers, for calls that set their own `retry`. */
    readonly retryLayer: Partial<RetryPolicy> | false,
  ) {}

  /** Takes what a call learnt from the handshake, so later calls start with it, as a typed proxy's do. */
  learn(facts: { readonly idempotent: boolean; readonly timeoutMs?: number }): void {
    if (!this.idempotentKnown) {
      this.idempotent = facts.idempotent;
      this.idempotentKnown = true;
    }
    if (facts.timeoutMs !== undefined && facts.timeoutMs < this.timeoutMs) this.timeoutMs = facts.timeoutMs;
    this.factsKnown = true;
  }
}

/** One proxy's (or the default by-name) view of a target service. */
class Target {
  readonly callers = new Map<string, MethodCaller>();

  constructor(
    readonly service: string,
    readonly policy: ClientPolicy,
    readonly contract: ServiceContract | undefined,
    readonly router: TargetRouter,
    readonly middlewares: readonly Middleware[],
    readonly bulkhead: Bulkhead | undefined,
    readonly budget: RetryBudget,
  ) {}
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
 */
export class Client extends EventEmitter<ClientEvents> {
  private readonly pool: ChannelPool;
  private readonly cache: InstanceCache;
  private readonly health: EndpointHealthTable;
  private readonly tlsTransports: TargetTransports;
  private readonly globalMiddlewares: readonly Middleware[];
  private readonly attemptMiddlewares: readonly Middleware[];
  private readonly byName = new Map<string, Target>();
  private readonly targets: Target[] = [];
  private readonly defaultPolicy: ClientPolicy;
  private closed: Promise<void> | null = null;
  private readonly onBreakerChange = (e: BreakerStateChange): void => {
    this.deps.logger.warn({ service: e.service, peer: e.endpoint, state: e.state }, `circuit breaker ${e.state}`);
    this.emit('breaker', e);
  };

  /** Throws RivetConfigError for a bad default policy. */
  constructor(private readonly deps: ClientDeps) {
    super();
    this.defaultPolicy = checkClientPolicy(deps.defaultPolicy, 'default client policy');
    this.pool = new ChannelPool({
      transport: deps.transport,
      codecs: [deps.codec],
      maxFrameBytes: deps.maxFrameBytes,
      connectTimeoutMs: deps.connectTimeoutMs,
      logger: deps.logger,
      keepalive: deps.keepalive,
    });
    this.cache = new InstanceCache(deps.registry);
    this.health = new EndpointHealthTable(this.cache, this.pool, this.onBreakerChange, (e) => this.emit('endpointRemoved', e));
    this.tlsTransports = new TargetTransports();
    const globals = deps.globalInterceptors.map((i) => deps.resolveInterceptor(i));
    this.globalMiddlewares = globals.map(toMiddleware);
    this.attemptMiddlewares = globals.map(toAttemptMiddleware).filter((m): m is Middleware => m !== null);
  }

  /**
   * A typed proxy of a remote service, named by its `@Service` class or by its name.
   * Throws RivetConfigError at once for a bad policy or a class that is not a `@Service`.
   */
  proxy<T = unknown>(target: string | Class<T>, policy?: ClientPolicy): Remote<T> {
    const t = this.makeTarget(target, policy);
    return createRemoteProxy(t.service, (method) => {
      const caller = this.callerFor(t, method);
      return (...args: unknown[]) => this.callMethod(caller, args, undefined);
    }) as Remote<T>;
  }

  /**
   * Calls `service.method(...args)` by name. Never throws: a bad service or method name, bad
   * arguments or bad call options reject with `RpcError('INVALID_ARGUMENT')`, a closed client with
   * `UNAVAILABLE` (`CLIENT_CLOSED`).
   */
  invoke(service: string, method: string, args: unknown[] = [], call?: CallOptions): Promise<unknown> {
    if (this.closed !== null) return Promise.reject(beforeAnyAttempt(clientClosedError()));
    if (typeof service !== 'string' || service === '' || typeof method !== 'string' || method === '') {
      return Promise.reject(
        beforeAnyAttempt(
          new RpcError('INVALID_ARGUMENT', `invoke(service, method, args): service and method must be non-empty strings, got ${describe(service)} and ${describe(method)}`),
        ),
      );
    }
    if (!Array.isArray(args)) return Promise.reject(beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', 'invoke(service, method, args): args must be an array')));
    if (call !== undefined && (typeof call !== 'object' || call === null)) {
      return Promise.reject(beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', `invoke(service, method, args, options): options must be an object, got ${describe(call)}`)));
    }
    let caller: MethodCaller;
    try {
      let t = this.byName.get(service);
      if (t === undefined) {
        t = this.makeTarget(service, undefined);
        this.byName.set(service, t);
      }
      caller = this.callerFor(t, method);
    } catch (err) {
      return Promise.reject(beforeAnyAttempt(asInvalidArgument(err)));
    }
    return this.callMethod(caller, args, call);
  }

  /** The endpoints of a service as this client's calls by name see them: state, in flight, latency, breaker. */
  endpoints(service: string): readonly EndpointView[] {
    let t = this.byName.get(service);
    if (t === undefined) {
      t = this.makeTarget(service, undefined);
      this.byName.set(service, t);
      void this.cache.load(service).catch(() => undefined);
    }
    return t.router.views();
  }

  /** A snapshot of every endpoint this client has called, and each target's retry budget. */
  stats(): ClientStats {
    const endpoints: ClientStats['endpoints'] = [];
    const retryBudget: ClientStats['retryBudget'] = [];
    for (const t of this.targets) {
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
    for (const t of this.targets) for (const e of t.router.views()) out.push({ service: t.service, view: e, calls: e.calls, failures: e.failures });
    return out;
  }

  /** Closes every connection; calls still pending fail with UNAVAILABLE. Idempotent. */
  close(): Promise<void> {
    if (this.closed === null) {
      this.cache.close();
      this.health.close();
      this.closed = this.pool.close();
    }
    return this.closed;
  }

  private makeTarget(target: string | Class, policy: ClientPolicy | undefined): Target {
    if (this.closed !== null) throw new RivetConfigError(RivetErrorCode.RIVET_ERR_STATE, 'this client is closed; create a new one.');
    let contract: ServiceContract | undefined;
    let service: string;
    if (typeof target === 'function') {
      contract = this.deps.resolveContract(target);
      service = contract.name;
    } else {
      service = nonEmptyString('service name', target);
    }
    const checked = checkClientPolicy(policy ?? {}, `policy of "${service}"`);
    const resolved = resolveTargetPolicy(service, contract, this.defaultPolicy, checked);
    // Breakers are the client's, one per (endpoint, service) and breaker policy: every proxy with
    // the same policy sees (and trips) the same breaker.
    const breakers = resolved.breaker === false ? null : this.health.breakers(resolved.breaker);
    const outliers =
      resolved.outliers === false
        ? null
        : new OutlierDetector(resolved.outliers, (e, forMs) => this.deps.logger.warn({ service, peer: e.address, forMs }, 'ejecting endpoint: consecutive failures'));
    // One balancer per proxy and target: built-in balancers keep per-target state.
    const router = new TargetRouter(service, this.cache, this.pool, createBalancer(checked.balancer ?? this.defaultPolicy.balancer), {
      health: this.health,
      via: resolved.tls === undefined ? undefined : this.tlsTransports.get(resolved.tls, `policy of "${service}".tls`),
      breakers,
      outliers,
      versionRange: resolved.versionRange,
      waitForReady: resolved.waitForReady,
    });
    const middlewares = (checked.interceptors ?? []).map((i) => toMiddleware(this.deps.resolveInterceptor(i)));
    const bulkhead = resolved.bulkhead === undefined ? undefined : new Bulkhead(resolved.bulkhead, service);
    const t = new Target(service, checked, contract, router, middlewares, bulkhead, new RetryBudget(resolved.retry.budget));
    // Resolve every method the policy or the class names now, so a bad combination (hedging a
    // method that is not idempotent) fails here and not on the first call.
    const known = new Set([...Object.keys(contract?.methods ?? {}), ...Object.keys(checked.methods ?? {})]);
    for (const method of known) this.callerFor(t, method);
    this.targets.push(t);
    return t;
  }

  private callerFor(t: Target, method: string): MethodCaller {
    let caller = t.callers.get(method);
    if (caller !== undefined) return caller;
    const policy = resolveMethodPolicy(t.service, method, t.contract, this.defaultPolicy, t.policy);
    const router = t.router;
    const pipeline = buildClientPipeline({
      globalMiddlewares: this.globalMiddlewares,
      attemptMiddlewares: this.attemptMiddlewares,
      targetMiddlewares: t.middlewares,
      methodMiddlewares: (t.policy.methods?.[method]?.interceptors ?? []).map((i) => toMiddleware(this.deps.resolveInterceptor(i))),
      policy,
      bulkhead: t.bulkhead,
      budget: t.budget,
      route: (ctx) => router.route(ctx as ClientCall),
    });
    caller = new MethodCaller(t.service, method, pipeline.invoke, pipeline.errorsListAttempts, policy.timeoutMs, policy.idempotent, policy.idempotentKnown, t.contract !== undefined, policy.retryLayer);
    t.callers.set(method, caller);
    return caller;
  }

  /**
   * One call, from proxy or invoke: rejects with RpcError, never throws. Not an `async` function:
   * one on every call cost a promise, its await and their closures; the call's outcome is chained
   * with one `.then`, and the extra bookkeeping only when the call has signals or facts to learn.
   */
  private callMethod(caller: MethodCaller, args: unknown[], opts: CallOptions | undefined): Promise<unknown> {
    const parent = currentContext();
    let call: ClientCall;
    try {
      call = this.startCall(caller, args, opts, parent);
    } catch (err) {
      // A bad option of the call (a `signal` that is not an AbortSignal) throws a TypeError here.
      return Promise.reject(isRpcError(err) ? err : beforeAnyAttempt(asInvalidArgument(err)));
    }
    const userSignal = opts?.signal;
    const parentSignal = parent?.signal;
    // A synchronous throw can only come from a stage above the deadline stage (which never
    // throws), so errorsListAttempts is false then and the `.then` below lists the attempts.
    const result = invokeNext(caller.invoker, call);
    if (userSignal === undefined && parentSignal === undefined && caller.factsKnown) {
      if (caller.errorsListAttempts) return result;
      return result.then(undefined, (err: unknown) => {
        throw withAttempts(err, call);
      });
    }
    const finish = (): void => {
      userSignal?.removeEventListener('abort', call);
      parentSignal?.removeEventListener('abort', call);
      if (!caller.factsKnown && call.learnt !== undefined) caller.learn(call.learnt);
    };
    return result.then(
      (value) => {
        finish();
        return value;
      },
      (err: unknown) => {
        withAttempts(err, call);
        finish();
        throw err;
      },
    );
  }

  /** The call's context, linked to the caller's and the parent call's signals. Throws RpcError. */
  private startCall(caller: MethodCaller, args: unknown[], opts: CallOptions | undefined, parent: CallContext | undefined): ClientCall {
    if (this.closed !== null) throw beforeAnyAttempt(clientClosedError());
    const now = Date.now();
    let timeoutMs = caller.timeoutMs;
    if (opts?.timeoutMs !== undefined) {
      if (!(typeof opts.timeoutMs === 'number' && opts.timeoutMs > 0)) {
        throw beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', `call option timeoutMs must be a number of milliseconds > 0, got ${String(opts.timeoutMs)}`));
      }
      if (opts.timeoutMs < timeoutMs) timeoutMs = opts.timeoutMs;
    }
    let deadline = now + timeoutMs;
    // A call made while handling a call inherits what is left of that call's deadline, and is
    // cancelled with it.
    if (parent !== undefined && parent.deadline !== undefined && parent.deadline < deadline) deadline = parent.deadline;
    const call = new ClientCall(caller.service, caller.method, args, opts?.metadata ? { ...opts.metadata } : {}, deadline, caller.idempotent, caller.idempotentKnown);
    // A handler serving a retried call does not retry its own calls: retries would multiply
    // across hops (3 attempts at each of N hops is 3^N).
    if (parent !== undefined && parent.metadata[RETRY_ATTEMPT_METADATA_KEY] !== undefined) call.retriesAllowed = false;
    if (!caller.factsKnown) call.startedAtMs = now;
    if (opts?.retry !== undefined) {
      try {
        call.retryPolicy = resolveCallRetryPolicy(caller.retryLayer, opts.retry);
      } catch (err) {
        throw beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', (err as Error).message, undefined, { cause: err }));
      }
    }
    const userSignal = opts?.signal;
    const parentSignal = parent?.signal;
    if (userSignal?.aborted || parentSignal?.aborted) {
      throw beforeAnyAttempt(new RpcError('CANCELLED', 'call cancelled before it started', { reason: ErrorReason.CANCELLED_BY_CALLER }, { notProcessed: true }));
    }
    userSignal?.addEventListener('abort', call, { once: true });
    parentSignal?.addEventListener('abort', call, { once: true });
    return call;
  }
}

function clientClosedError(): RpcError {
  return new RpcError('UNAVAILABLE', 'client closed', { reason: ErrorReason.CLIENT_CLOSED }, { notProcessed: true });
}

/** Anything a call by name threw before it started, as the INVALID_ARGUMENT it rejects with. */
function asInvalidArgument(err: unknown): RpcError {
  if (isRpcError(err)) return err;
  return new RpcError('INVALID_ARGUMENT', err instanceof Error ? err.message : String(err), undefined, { cause: err });
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value;
}

/** Every error a client returns lists its attempts; one raised before any attempt lists none. */
function beforeAnyAttempt(err: RpcError): RpcError {
  err.attempts = [];
  return err;
}
