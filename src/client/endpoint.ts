import type { BreakerState, EndpointState, EndpointView } from '../balancer';
import type { Peer } from '../call';
import type { Instance } from '../discovery';
import type { Channel } from './channel';

/** One instance of a target service, bound to the channel of its address. */
export class Endpoint implements EndpointView {
  /** Built once, so every call to this endpoint shares one peer object. */
  readonly peer: Peer;

  constructor(
    readonly instance: Instance,
    readonly address: string,
    readonly channel: Channel,
  ) {
    this.peer = { address };
  }

  get state(): EndpointState {
    return this.channel.state;
  }

  get inFlight(): number {
    return this.channel.inFlight;
  }

  get ewmaMs(): number {
    return this.channel.ewmaMs;
  }

  breaker: BreakerState = 'closed';

  ejected = false;

  /** True when a call sent now could go out (or start a connection). */
  get usable(): boolean {
    const s = this.channel.state;
    return s === 'ready' || s === 'idle' || s === 'connecting';
  }
}
