import type { Instance } from '../discovery';

/** The state of the connection behind an endpoint, as balancers see it. */
export type EndpointState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'draining' | 'closed';

/** One instance with its live statistics, as the client sees it. */
export interface EndpointView {
  readonly instance: Instance;
  /** `'host:port'`. */
  readonly address: string;
  readonly state: EndpointState;
  /** Calls sent to it and not yet answered. */
  readonly inFlight: number;
}
