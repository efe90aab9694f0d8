import type { CallContext } from '../call';
import type { Balancer } from './balancer';
import type { EndpointView } from './endpoint-view';

/** Each endpoint in turn. One counter per balancer; one balancer per target service. */
export class RoundRobinBalancer implements Balancer {
  private next = 0;

  pick(endpoints: readonly EndpointView[], _ctx: CallContext): EndpointView | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    const i = this.next % n;
    this.next = (i + 1) % 0x7fffffff;
    return endpoints[i];
  }
}
