import type { CallContext } from '../call';
import type { EndpointView } from './endpoint-view';

/**
 * Chooses the endpoint for one attempt. The client passes only endpoints that can take a call
 * now (not draining, not closed, not in reconnect backoff, not already failed by this call when
 * others remain), never an empty list. Returning undefined fails the attempt with UNAVAILABLE.
 * Must not await and must not ask the registry: it runs once per attempt on the hot path.
 */
export interface Balancer {
  pick(endpoints: readonly EndpointView[], ctx: CallContext): EndpointView | undefined;
}
