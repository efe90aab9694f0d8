import type { Logger } from 'pino';
import { createBalancer } from '../balancer';
import { currentContext, DEFAULT_DEADLINE_MS, type Invoker, type Middleware } from '../call';
import { InstanceCache, type Registry } from '../discovery';
import { ErrorReason, isRpcError, RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import { type Interceptor, type InterceptorFn, type InterceptorLike, toMiddleware } from '../interceptors';
import type { CodecName } from '../protocol';
import type { Transport } from '../transport';
import { nonEmptyString } from '../util';
import { ChannelPool } from './channel-pool';
import { ClientCall } from './client-call';
import { buildClientPipeline } from './client-pipeline';
import { type ClientPolicy, resolveClientPolicy, type ResolvedClientPolicy } from './client-policy';
import type { Class, ContractResolver, Remote, ServiceContract } from './remote';
import { createRemoteProxy } from './remote-proxy';
import { TargetRouter } from './target-router';

/** Per-call options of {@link Client.invoke}. */
export interface CallOptions {
  /** Deadline of this call; the tighter of this and the policy's wins. */
  timeoutMs?: number;
  /** Aborting it cancels the call: a cancel frame goes to the server, and the call rejects with CANCELLED. */
  signal?: AbortSignal;
  /** String key/values sent with the call. */
  metadata?: Record<string, string>;
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
}

/** One method's ready chain and the facts a call needs, built on first use and cached. */
class MethodCaller {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly invoker: Invoker,
    readonly timeoutMs: number,
    readonly idempotent: boolean,
  ) {}
}

/** One proxy's (or the default by-name) view of a target service. */
class Target {
  readonly callers = new Map<string, MethodCaller>();
  readonly router: TargetRouter;
  readonly middlewares: readonly Middleware[];

  constructor(
    readonly service: string,
    readonly policy: ResolvedClientPolicy,
    readonly contract: ServiceContract | undefined,
    router: TargetRouter,
    middlewares: readonly Middleware[],
  ) {
    this.router = router;
    this.middlewares = middlewares;
  }
}

/**
 * Calls remote services: typed proxies (`proxy`) and calls by name (`invoke`). One client holds
 * one multiplexed connection per endpoint, shared by all its proxies. Create it with createClient
 * (or get the app's through `app.client`).
 */
export class Client {
  private readonly pool: ChannelPool;
  private readonly cache: InstanceCache;
  private readonly globalMiddlewares: readonly Middleware[];
  private readonly byName = new Map<string, Target>();
  private closed: Promise<void> | null = null;

  constructor(private readonly deps: ClientDeps) {
    this.pool = new ChannelPool({
      transport: deps.transport,
      codecs: [deps.codec],
      maxFrameBytes: deps.maxFrameBytes,
      connectTimeoutMs: deps.connectTimeoutMs,
      logger: deps.logger,
    });
    this.cache = new InstanceCache(deps.registry, (service, instances) => this.pool.update(service, instances));
    this.globalMiddlewares = deps.globalInterceptors.map((i) => toMiddleware(deps.resolveInterceptor(i)));
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

  /** Calls `service.method(...args)` by name. Rejects with RpcError, never throws. */
  invoke(service: string, method: string, args: unknown[] = [], call?: CallOptions): Promise<unknown> {
    if (this.closed !== null) return Promise.reject(beforeAnyAttempt(clientClosedError()));
    let t = this.byName.get(service);
    if (t === undefined) {
      try {
        t = this.makeTarget(service, undefined);
      } catch (err) {
        return Promise.reject(err);
      }
      this.byName.set(service, t);
    }
    if (!Array.isArray(args)) return Promise.reject(beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', 'invoke(service, method, args): args must be an array')));
    return this.callMethod(this.callerFor(t, method), args, call);
  }

  /** Closes every connection; calls still pending fail with UNAVAILABLE. Idempotent. */
  close(): Promise<void> {
    if (this.closed === null) {
      this.cache.close();
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
    const resolved = resolveClientPolicy(policy);
    // One balancer per proxy and target: built-in balancers keep per-target state.
    const router = new TargetRouter(service, this.cache, this.pool, createBalancer(resolved.balancer));
    const middlewares = resolved.interceptors.map((i) => toMiddleware(this.deps.resolveInterceptor(i)));
    return new Target(service, resolved, contract, router, middlewares);
  }

  private callerFor(t: Target, method: string): MethodCaller {
    let caller = t.callers.get(method);
    if (caller !== undefined) return caller;
    const facts = t.contract?.methods[method];
    const override = t.policy.methods[method];
    // The tighter of every timeout that is set wins; with none set, the default.
    let timeoutMs = Math.min(facts?.timeoutMs ?? Infinity, t.policy.timeoutMs ?? Infinity, override?.timeoutMs ?? Infinity);
    if (timeoutMs === Infinity) timeoutMs = DEFAULT_DEADLINE_MS;
    const router = t.router;
    const invoker = buildClientPipeline({
      globalMiddlewares: this.globalMiddlewares,
      targetMiddlewares: t.middlewares,
      methodMiddlewares: (override?.interceptors ?? []).map((i) => toMiddleware(this.deps.resolveInterceptor(i))),
      maxAttempts: t.policy.maxAttempts,
      route: (ctx) => router.route(ctx as ClientCall),
    });
    caller = new MethodCaller(t.service, method, invoker, timeoutMs, override?.idempotent ?? facts?.idempotent ?? false);
    t.callers.set(method, caller);
    return caller;
  }

  private async callMethod(caller: MethodCaller, args: unknown[], opts: CallOptions | undefined): Promise<unknown> {
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
    const parent = currentContext();
    if (parent !== undefined && parent.deadline !== undefined && parent.deadline < deadline) deadline = parent.deadline;
    const call = new ClientCall(caller.service, caller.method, args, opts?.metadata ? { ...opts.metadata } : {}, deadline, caller.idempotent);
    const userSignal = opts?.signal;
    const parentSignal = parent?.signal;
    if (userSignal?.aborted || parentSignal?.aborted) {
      throw beforeAnyAttempt(new RpcError('CANCELLED', 'call cancelled before it started', { reason: ErrorReason.CANCELLED_BY_CALLER }, { notProcessed: true }));
    }
    userSignal?.addEventListener('abort', call, { once: true });
    parentSignal?.addEventListener('abort', call, { once: true });
    try {
      return await caller.invoker(call);
    } catch (err) {
      if (isRpcError(err) && err.attempts === undefined) err.attempts = call.attempts;
      throw err;
    } finally {
      userSignal?.removeEventListener('abort', call);
      parentSignal?.removeEventListener('abort', call);
    }
  }
}

function clientClosedError(): RpcError {
  return new RpcError('UNAVAILABLE', 'client closed', { reason: ErrorReason.CLIENT_CLOSED }, { notProcessed: true });
}

/** Every error a client returns lists its attempts; one raised before any attempt lists none. */
function beforeAnyAttempt(err: RpcError): RpcError {
  err.attempts = [];
  return err;
}
