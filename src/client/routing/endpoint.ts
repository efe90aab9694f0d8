import type { BreakerState, EndpointState, EndpointView } from '../../balancer';
import type { Peer } from '../../call';
import type { Instance } from '../../discovery';
import type { EndpointBreaker } from '../../resilience';
import type { Channel } from '../connection/channel';
import type { EndpointHealth } from './endpoint-health';

/**
 * One instance of a target service as one proxy sees it: the instance, the shared channel of its
 * address, the breaker of this proxy's breaker policy, and the endpoint's health record. The
 * channel, the breaker and the health record are the client's, shared by every proxy that calls
 * the service; only the instance record (and so the version filter) is this proxy's.
 */
export class Endpoint implements EndpointView {
  /** Built once, so every call to this endpoint shares one peer object. */
  readonly peer: Peer;

  constructor(
    readonly instance: Instance,
    readonly address: string,
    readonly channel: Channel,
    readonly circuit: EndpointBreaker | null,
    readonly health: EndpointHealth,
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

  get ejected(): boolean {
    const until = this.health.ejectedUntil;
    return until !== 0 && until > performance.now();
  }

  get breaker(): BreakerState {
    return this.circuit === null ? 'closed' : this.circuit.state;
  }

  /** Attempts sent to it, by any proxy of the client. */
  get calls(): number {
    return this.health.calls;
  }

  /** Attempts that failed in a way that counts against it, by any proxy of the client. */
  get failures(): number {
    return this.health.failures;
  }

  /** The same endpoint for an updated instance record (a new weight, say). */
  withInstance(instance: Instance): Endpoint {
    return new Endpoint(instance, this.address, this.channel, this.circuit, this.health);
  }

  /** True when a call sent now could go out (or start a connection). */
  get usable(): boolean {
    const s = this.channel.state;
    return s === 'ready' || s === 'idle' || s === 'connecting';
  }
}
