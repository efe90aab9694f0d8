import type { Instance } from '../discovery';

/** The state of the connection behind an endpoint, as balancers see it. */
export type EndpointState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'draining' | 'closed';

/** The state of an endpoint's circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** One instance with its live statistics, as the client sees it. */
export interface EndpointView {
  readonly instance: Instance;
  /** `'host:port'`. */
  readonly address: string;
  readonly state: EndpointState;
  /** Calls sent to it and not yet answered. */
  readonly inFlight: number;
  /**
   * Peak-EWMA of its response time in milliseconds: jumps up to a slower sample at once, decays
   * toward faster ones over time. 0 before the first reply.
   */
  readonly ewmaMs: number;
  /** Its circuit breaker's state for the target service ('closed' when breakers are off). */
  readonly breaker: BreakerState;
  /** True while outlier detection has ejected it. */
  readonly ejected: boolean;
  /**
   * How much dearer the endpoint is than its latency and in-flight count say, from its server's
   * load reports and pushback (1 or more; docs/overload.md). Leave it out for 1.
   */
  readonly loadFactor?: number;
}
