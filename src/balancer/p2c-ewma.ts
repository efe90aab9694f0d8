import type { CallContext } from '../call';
import type { Balancer } from './balancer';
import type { EndpointView } from './endpoint-view';
import { isHealthy, preferHealthy } from './prefer-healthy';
import { checkRandomSource, randomIndex, type RandomSource } from './random-source';

/**
 * The latency assumed when neither of the two candidates has a sample yet. Only the ratio of
 * two costs matters, so any positive value works; the in-flight counts then decide.
 */
const UNSAMPLED_EWMA_MS = 1;

/**
 * Power of two choices on peak-EWMA latency × (in flight + 1), the default balancer (Finagle's
 * and Linkerd's "P2C + peak EWMA"). Each pick draws two distinct endpoints at random and takes
 * the cheaper. The cost grows with both latency and queue depth, so a slow or overloaded
 * endpoint is shed within a few replies, while the random draw keeps every endpoint probed and
 * keeps many clients from herding onto the one that looks best. O(1) per pick, no allocation.
 *
 * An endpoint with no latency sample yet (`ewmaMs` 0) is costed as if it were as fast as the
 * other candidate: optimistic enough that a new endpoint gets traffic and its first replies
 * set its real cost, but not so optimistic that it is flooded before its connection is up.
 */
export class P2cEwmaBalancer implements Balancer {
  private readonly random: RandomSource;

  /**
   * @param random - uniform numbers in [0, 1); default `Math.random`. Throws RivetConfigError
   *   (RIVET_ERR_INVALID_OPTION) when it is not a function.
   */
  constructor(random: RandomSource = Math.random) {
    this.random = checkRandomSource('P2cEwmaBalancer', random);
  }

  pick(endpoints: readonly EndpointView[], ctx: CallContext): EndpointView | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    if (n === 1) return endpoints[0];
    const i = randomIndex(this.random, n);
    let j = randomIndex(this.random, n - 1);
    if (j >= i) j++;
    const a = endpoints[i];
    const b = endpoints[j];
    if (isHealthy(a) && isHealthy(b)) return cheaper(a, b);
    // Only reached when a caller passes breaker-open or ejected endpoints (the client does not).
    const healthy = preferHealthy(endpoints);
    if (healthy === endpoints) return cheaper(a, b);
    return healthy.length === 1 ? healthy[0] : this.pick(healthy, ctx);
  }
}

/** The lower-cost of two endpoints; `a` on a tie (it was drawn at random, so ties split evenly). */
function cheaper(a: EndpointView, b: EndpointView): EndpointView {
  let ea = a.ewmaMs;
  let eb = b.ewmaMs;
  // `> 0` is false for NaN too, so a malformed sample is treated as "no sample".
  if (!(ea > 0)) ea = eb > 0 ? eb : UNSAMPLED_EWMA_MS;
  if (!(eb > 0)) eb = ea;
  const costA = ea * (a.inFlight + 1);
  const costB = eb * (b.inFlight + 1);
  return costB < costA ? b : a;
}
