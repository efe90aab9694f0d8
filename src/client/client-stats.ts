import type { BreakerState } from '../balancer';

/** What `client.stats()` returns: a snapshot, not a live view. */
export interface ClientStats {
  /** One row per (proxy target, endpoint). */
  endpoints: Array<{
    /** `'host:port'`. */
    endpoint: string;
    service: string;
    breaker: BreakerState;
    inFlight: number;
    /** Attempts sent. */
    calls: number;
    /** Attempts that failed in a way that counts against the endpoint. */
    failures: number;
  }>;
  /** Calls and retries in each target's budget window. */
  retryBudget: Array<{ service: string; calls: number; retries: number }>;
}
