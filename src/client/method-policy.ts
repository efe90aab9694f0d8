import { DEFAULT_DEADLINE_MS } from '../call';
import {
  type BreakerPolicy,
  type BulkheadPolicy,
  type Fallback,
  mergePolicies,
  resolveBreakerPolicy,
  resolveBulkheadPolicy,
  resolveRetryPolicy,
  type ResolvedBreakerPolicy,
  type ResolvedBulkheadPolicy,
  type ResolvedHedgePolicy,
  type ResolvedRetryPolicy,
  type RetryPolicy,
  resolveThrottlePolicy,
  type ResolvedThrottlePolicy,
} from '../resilience';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { type ClientPolicy, type HedgePolicy, resolveHedgePolicy } from './client-policy';
import { type OutlierDetectionPolicy, resolveOutlierDetection, type ResolvedOutlierDetectionPolicy } from './routing/outlier-detector';
import type { ServiceContract } from './remote';
import type { TlsClientOptions } from '../transport';

/** What one method's chain is built from. */
export interface ResolvedMethodPolicy {
  readonly timeoutMs: number;
  /** The timeout set on purpose (decorator, policy), without the unary default: what bounds a stream. */
  readonly streamTimeoutMs: number | undefined;
  readonly idempotent: boolean;
  /** Known from the class or the policy; otherwise learnt from the server's handshake. */
  readonly idempotentKnown: boolean;
  readonly retry: ResolvedRetryPolicy;
  /** The merged retry layers before validation; a call's own `retry` option merges over them. */
  readonly retryLayer: Partial<RetryPolicy> | false;
  readonly hedge: ResolvedHedgePolicy | false;
  readonly fallback: Fallback | undefined;
}

/** What a whole target (one proxy of one service) shares across its methods. */
export interface ResolvedTargetPolicy {
  readonly breaker: ResolvedBreakerPolicy | false;
  readonly bulkhead: ResolvedBulkheadPolicy | undefined;
  /** The retry policy at target level; its budget is the target's. */
  readonly retry: ResolvedRetryPolicy;
  readonly outliers: ResolvedOutlierDetectionPolicy | false;
  readonly waitForReady: boolean;
  /** Adaptive throttling per endpoint (docs/overload.md); false when off. */
  readonly throttle: ResolvedThrottlePolicy | false;
  readonly versionRange: string | null;
  /** TLS settings of this target's own connections; undefined uses the client's transport. */
  readonly tls: TlsClientOptions | undefined;
}

const RETRY_OFF = Object.freeze({ maxAttempts: 1 });

/**
 * The target-level policy: app default, then the class's decorators, then the proxy's policy
 * (later wins). Throws RivetConfigError for an invalid merged value.
 */
export function resolveTargetPolicy(service: string, contract: ServiceContract | undefined, appDefault: ClientPolicy, proxy: ClientPolicy): ResolvedTargetPolicy {
  const name = `policy of "${service}"`;
  const breaker = mergePolicies<BreakerPolicy>(appDefault.breaker, contract?.policy?.breaker, proxy.breaker);
  const bulkhead = mergePolicies<BulkheadPolicy>(appDefault.bulkhead, proxy.bulkhead);
  const retry = mergePolicies<RetryPolicy>(appDefault.retry, contract?.policy?.retry, proxy.retry);
  const outliers = mergePolicies<OutlierDetectionPolicy>(appDefault.outlierDetection, proxy.outlierDetection);
  return Object.freeze({
    breaker: breaker === false ? false : resolveBreakerPolicy(breaker, `${name}: breaker`),
    bulkhead: bulkhead === false || Object.keys(bulkhead).length === 0 ? undefined : resolveBulkheadPolicy(bulkhead, `${name}: bulkhead`),
    retry: resolveRetryPolicy(retry === false ? RETRY_OFF : retry, `${name}: retry`),
    outliers: outliers === false ? false : resolveOutlierDetection(outliers, `${name}: outlierDetection`),
    waitForReady: proxy.waitForReady ?? appDefault.waitForReady ?? false,
    throttle: resolveThrottlePolicy(proxy.throttle ?? appDefault.throttle, `${name}: throttle`),
    versionRange: proxy.version ?? appDefault.version ?? null,
    tls: proxy.tls ?? appDefault.tls,
  });
}

/**
 * One method's policy from every layer, least specific first: app default, class decorators,
 * method decorators, the proxy's policy, the proxy's per-method policy. Timeouts take the tightest
 * value set anywhere (10 s when none is). Throws RivetConfigError for an invalid merged value, or
 * a hedge set on this very method when it is not known to be idempotent (a target-wide hedge
 * leaves such a method unhedged instead).
 */
export function resolveMethodPolicy(
  service: string,
  method: string,
  contract: ServiceContract | undefined,
  appDefault: ClientPolicy,
  proxy: ClientPolicy,
): ResolvedMethodPolicy {
  const name = `policy of ${service}.${method}`;
  const facts = contract?.methods[method];
  const methodOverride = proxy.methods?.[method];
  const appMethod = appDefault.methods?.[method];
  const layers = [appDefault, appMethod, contract?.policy, facts?.policy, proxy, methodOverride] as const;

  let timeoutMs = Infinity;
  for (const layer of layers) if (layer?.timeoutMs !== undefined && layer.timeoutMs < timeoutMs) timeoutMs = layer.timeoutMs;
  if (facts?.timeoutMs !== undefined && facts.timeoutMs < timeoutMs) timeoutMs = facts.timeoutMs;
  // A stream takes only a timeout set for the method itself: a target-wide one (the app's or the
  // proxy's default, a class @Timeout) is meant for its unary calls and would cut every feed.
  let streamTimeoutMs: number | undefined;
  for (const layer of [appMethod, facts?.policy, methodOverride]) if (layer?.timeoutMs !== undefined && (streamTimeoutMs === undefined || layer.timeoutMs < streamTimeoutMs)) streamTimeoutMs = layer.timeoutMs;
  if (facts?.timeoutMs !== undefined && (streamTimeoutMs === undefined || facts.timeoutMs < streamTimeoutMs)) streamTimeoutMs = facts.timeoutMs;
  if (timeoutMs === Infinity) timeoutMs = DEFAULT_DEADLINE_MS;

  const idempotentSet = methodOverride?.idempotent ?? appMethod?.idempotent ?? facts?.idempotent;
  const idempotent = idempotentSet ?? false;

  const retry = mergePolicies<RetryPolicy>(...layers.map((l) => l?.retry));
  const hedge = mergePolicies<HedgePolicy>(...layers.map((l) => l?.hedge));
  let fallback: Fallback | undefined;
  for (const layer of layers) if (layer?.fallback !== undefined) fallback = layer.fallback;

  // Hedging follows the retry rule: a hedge set for the whole target (app default, class, proxy)
  // applies to the methods that are idempotent and leaves the others unhedged. Only a hedge set on
  // the method itself (@Hedge on it, `methods: { m: { hedge } }`) insists, and is refused when
  // the method is not known to be idempotent. A method whose idempotency is still unknown (a call
  // by name) keeps the hedge; its chain hedges once the server's handshake says it is idempotent.
  let hedgeOn = hedge !== false && Object.keys(hedge).length > 0;
  const explicitHedge = [appMethod?.hedge, facts?.policy?.hedge, methodOverride?.hedge].some((h) => h !== undefined && h !== false);
  if (hedgeOn && explicitHedge && !idempotent) {
    throw new RivetConfigError(
      RivetErrorCode.RIVET_ERR_INVALID_OPTION,
      `${name}: hedging sends a call more than once, so it is only allowed on idempotent methods, and ${service}.${method} is not idempotent (nothing marks it idempotent). Mark the method @Method({ idempotent: true }) (or idempotent: true in its policy), or turn hedging off for it.`,
    );
  }
  if (hedgeOn && idempotentSet === false) hedgeOn = false;
  return Object.freeze({
    timeoutMs,
    streamTimeoutMs,
    idempotent,
    idempotentKnown: idempotentSet !== undefined,
    retry: resolveRetryPolicy(retry === false ? RETRY_OFF : retry, `${name}: retry`),
    retryLayer: retry,
    hedge: hedgeOn ? resolveHedgePolicy(hedge, `${name}: hedge`) : false,
    fallback,
  });
}

/**
 * The retry policy of one call: its `retry` option (`CallOptions.retry`) merged over the method's
 * layers, the call being the most specific. Made per call, and only for calls that set the option.
 * Throws RivetConfigError naming the call option.
 */
export function resolveCallRetryPolicy(methodLayer: Partial<RetryPolicy> | false, call: unknown): ResolvedRetryPolicy {
  if (call !== false) resolveRetryPolicy(call, 'call option retry');
  const merged = mergePolicies<RetryPolicy>(methodLayer, call as RetryPolicy | false);
  return resolveRetryPolicy(merged === false ? RETRY_OFF : merged, 'call option retry');
}
