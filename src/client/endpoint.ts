import type { BreakerState, EndpointState, EndpointView } from '../balancer';
import type { Peer } from '../call';
import type { Instance } from '../discovery';
import type { EndpointBreaker } from '../resilience';
import type { Channel } from './channel';

/**
 * One instance of a target service as one proxy sees it: the instance, the shared channel of its
 * address, this proxy's breaker for it, and counters. Channels are shared by every proxy of a
 * client; breakers and counters are per proxy, since each proxy has its own policy.
 */
export class Endpoint implements EndpointView {
  /** Built once, so every call to this endpoint shares one peer object. */
  readonly peer: Peer;
  /** Attempts sent through this proxy. */
  calls = 0;
  /** Attempts that failed in a way that counts against the endpoint. */
  failures = 0;
  /** Failures in a row, for outlier detection. */
  consecutiveFailures = 0;
  /** How often outlier detection ejected it; each ejection lasts longer. */
  ejections = 0;
  /** Ejected until this time (performance.now() clock); 0 when never ejected. */
  ejectedUntil = 0;

  constructor(
    readonly instance: Instance,
    readonly address: string,
    readonly channel: Channel,
    readonly circuit: EndpointBreaker | null,
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
    return this.ejectedUntil !== 0 && this.ejectedUntil > performance.now();
  }

  get breaker(): BreakerState {
    return this.circuit === null ? 'closed' : this.circuit.state;
  }

  /** The same endpoint for an updated instance record (a new weight, say), keeping its counters. */
  withInstance(instance: Instance): Endpoint {
    const e = new Endpoint(instance, this.address, this.channel, this.circuit);
    e.calls = this.calls;
    e.failures = this.failures;
    e.consecutiveFailures = this.consecutiveFailures;
    e.ejections = this.ejections;
    e.ejectedUntil = this.ejectedUntil;
    return e;
  }

  /** True when a call sent now could go out (or start a connection). */
  get usable(): boolean {
    const s = this.channel.state;
    return s === 'ready' || s === 'idle' || s === 'connecting';
  }
}
