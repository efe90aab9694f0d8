import type { CallContext } from '../call';
import type { Balancer } from './balancer';
import type { EndpointView } from './endpoint-view';
import { preferHealthy } from './prefer-healthy';

/**
 * The endpoint with the fewest calls in flight. Endpoints tied on the fewest take turns (a
 * counter walks the tied set), so at low load, where every count is 0, it spreads calls like
 * round-robin instead of always choosing the first. It ignores latency: a slow endpoint with
 * few calls still wins. Two passes of O(n), no allocation.
 */
export class LeastActiveBalancer implements Balancer {
  private turn = 0;

  pick(endpoints: readonly EndpointView[], _ctx: CallContext): EndpointView | undefined {
    const list = preferHealthy(endpoints);
    const n = list.length;
    if (n === 0) return undefined;
    if (n === 1) return list[0];

    let min = Infinity;
    let ties = 0;
    for (let i = 0; i < n; i++) {
      const active = list[i].inFlight;
      if (active < min) {
        min = active;
        ties = 1;
      } else if (active === min) {
        ties++;
      }
    }
    // A NaN count never compares below Infinity; fall back to the first rather than return nothing.
    if (ties === 0) return list[0];

    let k = this.turn % ties;
    this.turn = (this.turn + 1) % 0x7fffffff;
    for (let i = 0; i < n; i++) {
      if (list[i].inFlight === min && k-- === 0) return list[i];
    }
    return list[0];
  }
}
