import type { Logger } from 'pino';
import { createBalancer } from '../balancer';
import type { Middleware } from '../call';
import type { InstanceCache } from '../discovery';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { type Interceptor, type InterceptorFn, type InterceptorLike, toAttemptMiddleware, toMiddleware } from '../interceptors';
import { Bulkhead, RetryBudget } from '../resilience';
import { describeValue, isMethodName, isServiceName } from '../util';
import type { ResolvedStreamWindow } from '../stream';
import type { ClientCall } from './client-call';
import { buildClientPipeline } from './client-pipeline';
import { checkClientPolicy, type ClientPolicy } from './client-policy';
import type { ChannelPool } from './connection/channel-pool';
import { TargetTransports } from './connection/target-transports';
import { type ClientLife, MethodCaller } from './method-caller';
import { KnownFacts, type MethodFacts } from './method-facts';
import { resolveMethodPolicy, resolveTargetPolicy } from './method-policy';
import type { Class, ContractResolver, ServiceContract } from './remote';
import type { EndpointHealthTable } from './routing/endpoint-health';
import type { ReflectionFacts } from './reflection-facts';
import { OutlierDetector } from './routing/outlier-detector';
import { TargetRouter } from './routing/target-router';

/** One proxy's (or the default by-name) view of a target service, and its methods' callers. */
export class Target {
  readonly callers = new Map<string, MethodCaller>();

  constructor(
    readonly service: string,
    readonly policy: ClientPolicy,
    readonly contract: ServiceContract | undefined,
    readonly router: TargetRouter,
    readonly middlewares: readonly Middleware<ClientCall>[],
    readonly bulkhead: Bulkhead | undefined,
    readonly budget: RetryBudget,
  ) {}
}

/** What target assembly needs of its client. */
export interface TargetsDeps {
  cache: InstanceCache;
  pool: ChannelPool;
  health: EndpointHealthTable;
  logger: Logger;
  /** The app-wide default policy (checked), the least specific layer. */
  defaultPolicy: ClientPolicy;
  globalInterceptors: readonly InterceptorLike[];
  resolveInterceptor: (i: InterceptorLike) => Interceptor | InterceptorFn;
  resolveContract: ContractResolver;
  life: ClientLife;
  /** The window this client's streams grant (`streams.window`). */
  streamWindow: ResolvedStreamWindow;
  /** Method facts learnt from authenticated calls, for servers whose handshake advertises none. */
  reflection: ReflectionFacts;
}

/**
 * Target assembly, in one place: from a service (a `@Service` class or a name) and a policy, the
 * router (balancer, breakers, outlier detection, TLS, version filter), the target's bulkhead and
 * retry budget, and each method's caller with its composed pipeline. Every target is kept for
 * `stats()`; targets by name are shared by `invoke` and `endpoints`.
 */
export class Targets {
  /** Every target made, for stats(). */
  readonly all: Target[] = [];
  private readonly byName = new Map<string, Target>();
  private readonly tlsTransports = new TargetTransports();
  private readonly globalMiddlewares: readonly Middleware<ClientCall>[];
  private readonly attemptMiddlewares: readonly Middleware<ClientCall>[];

  constructor(private readonly deps: TargetsDeps) {
    const globals = deps.globalInterceptors.map((i) => deps.resolveInterceptor(i));
    this.globalMiddlewares = globals.map((i) => toMiddleware<ClientCall>(i));
    this.attemptMiddlewares = globals.flatMap((i) => toAttemptMiddlewares<ClientCall>(i));
  }

  /** True once calls by name to `service` have a target. */
  hasNamed(service: string): boolean {
    return this.byName.has(service);
  }

  /** The shared target of calls by name to `service`, made on first use. Throws RivetConfigError. */
  named(service: string): Target {
    let t = this.byName.get(service);
    if (t === undefined) {
      t = this.make(service, undefined);
      this.byName.set(service, t);
    }
    return t;
  }

  /**
   * A new target: one per proxy. Resolves every method the policy or the class names now, so a
   * bad combination (hedging a method that is not idempotent) fails here and not on the first
   * call. Throws RivetConfigError.
   */
  make(target: string | Class, policy: ClientPolicy | undefined): Target {
    const deps = this.deps;
    if (deps.life.closed) throw new RivetConfigError(RivetErrorCode.RIVET_ERR_STATE, 'this client is closed; create a new one.');
    let contract: ServiceContract | undefined;
    let service: string;
    if (typeof target === 'function') {
      contract = deps.resolveContract(target);
      service = contract.name;
    } else {
      // No Rivet app serves a name of another shape: refuse it here, not after a vain lookup.
      if (!isServiceName(target)) {
        throw new RivetConfigError(
          RivetErrorCode.RIVET_ERR_INVALID_OPTION,
          `service name must start with a letter or _ and hold only letters, digits, '_', '.', '-'; got ${describeValue(target)}.`,
        );
      }
      service = target;
    }
    const checked = checkClientPolicy(policy ?? {}, `policy of "${service}"`);
    const resolved = resolveTargetPolicy(service, contract, deps.defaultPolicy, checked);
    // Breakers are the client's, one per (endpoint, service) and breaker policy: every proxy with
    // the same policy sees (and trips) the same breaker.
    const breakers = resolved.breaker === false ? null : deps.health.breakers(resolved.breaker);
    const outliers =
      resolved.outliers === false
        ? null
        : new OutlierDetector(resolved.outliers, (e, forMs) => deps.logger.warn({ service, peer: e.address, forMs }, 'ejecting endpoint: consecutive failures'));
    // One balancer per proxy and target: built-in balancers keep per-target state.
    const router = new TargetRouter(service, deps.cache, deps.pool, createBalancer(checked.balancer ?? deps.defaultPolicy.balancer), {
      health: deps.health,
      via: resolved.tls === undefined ? undefined : this.tlsTransports.get(resolved.tls, `policy of "${service}".tls`),
      breakers,
      outliers,
      versionRange: resolved.versionRange,
      waitForReady: resolved.waitForReady,
      throttle: resolved.throttle,
      reflection: deps.reflection,
    });
    const middlewares = (checked.interceptors ?? []).map((i) => toMiddleware<ClientCall>(deps.resolveInterceptor(i)));
    const bulkhead = resolved.bulkhead === undefined ? undefined : new Bulkhead(resolved.bulkhead, service);
    const t = new Target(service, checked, contract, router, middlewares, bulkhead, new RetryBudget(resolved.retry.budget));
    const known = new Set([...Object.keys(contract?.methods ?? {}), ...Object.keys(checked.methods ?? {})]);
    for (const method of known) this.caller(t, method);
    this.all.push(t);
    return t;
  }

  /** The caller of `method` on `t`, its pipeline composed on first use. Throws RivetConfigError. */
  caller(t: Target, method: string): MethodCaller {
    let caller = t.callers.get(method);
    if (caller !== undefined) return caller;
    if (t.contract === undefined && !isMethodName(method)) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `method name must be non-empty, without whitespace or control characters; got ${describeValue(method)} for "${t.service}".`);
    }
    const deps = this.deps;
    const policy = resolveMethodPolicy(t.service, method, t.contract, deps.defaultPolicy, t.policy);
    const router = t.router;
    const pipeline = buildClientPipeline({
      globalMiddlewares: this.globalMiddlewares,
      attemptMiddlewares: this.attemptMiddlewares,
      targetMiddlewares: t.middlewares,
      methodMiddlewares: (t.policy.methods?.[method]?.interceptors ?? []).map((i) => toMiddleware<ClientCall>(deps.resolveInterceptor(i))),
      policy,
      bulkhead: t.bulkhead,
      budget: t.budget,
      route: (ctx) => router.route(ctx),
      elsewhere: (ctx) => router.canRetryShed(ctx),
    });
    const facts = new KnownFacts(policy.timeoutMs, policy.idempotent, policy.idempotentKnown, t.contract !== undefined, t.contract?.methods[method]?.stream, policy.streamTimeoutMs);
    // A call by name not yet learnt may still find the method's facts in a handshake some other
    // method's call already made: a client stream's array input then reads as its input.
    const peek = t.contract !== undefined ? undefined : (): MethodFacts | undefined => {
      for (const e of router.views()) {
        const f = e.channel.methodFacts(t.service, method);
        if (f !== undefined) return f;
      }
      return undefined;
    };
    caller = new MethodCaller(t.service, method, pipeline.invoke, pipeline.errorsListAttempts, facts, policy.retryLayer, deps.life, deps.streamWindow, peek);
    t.callers.set(method, caller);
    return caller;
  }
}

function toAttemptMiddlewares<C extends ClientCall>(i: Interceptor | InterceptorFn): Middleware<C>[] {
  const m = toAttemptMiddleware<C>(i);
  return m === null ? [] : [m];
}
