import type { CallContext } from '../call';
import type { Balancer } from './balancer';
import type { EndpointView } from './endpoint-view';
import { isHealthy, preferHealthy } from './prefer-healthy';
import { checkRandomSource, randomIndex, type RandomSource } from './random-source';

/**
 * A uniformly random endpoint per pick. Stateless, so it suits many clients that should not
 * march in step (round-robin counters that start together do); it ignores load and latency.
 */
export class RandomBalancer implements Balancer {
  private readonly random: RandomSource;

  /**
   * @param random - uniform numbers in [0, 1); default `Math.random`. Throws RivetConfigError
   *   (RIVET_ERR_INVALID_OPTION) when it is not a function.
   */
  constructor(random: RandomSource = Math.random) {
    this.random = checkRandomSource('RandomBalancer', random);
  }

  pick(endpoints: readonly EndpointView[], _ctx: CallContext): EndpointView | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    const e = endpoints[randomIndex(this.random, n)];
    if (isHealthy(e)) return e;
    // Only reached when a caller passes breaker-open or ejected endpoints (the client does not).
    const healthy = preferHealthy(endpoints);
    return healthy[randomIndex(this.random, healthy.length)];
  }
}
