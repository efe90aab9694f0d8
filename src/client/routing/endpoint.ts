import type { BreakerState, EndpointState, EndpointView } from '../../balancer';
import type { Peer } from '../../call';
import type { Instance } from '../../discovery';
import type { AdaptiveThrottle, EndpointBreaker } from '../../resilience';
import { turnNowMs } from '../../util/turn-clock';
import type { Channel } from '../connection/channel';
import type { EndpointHealth } from './endpoint-health';

// A load report older than this no longer counts.
const LOAD_REPORT_FADE_MS = 2_000;
// An endpoint that shed a call and asked to be left alone costs this many times more meanwhile.
const SHEDDING_PENALTY = 8;

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
    /** This proxy's adaptive throttle toward the endpoint (shared per ratio); null when off. */
    readonly throttle: AdaptiveThrottle | null = null,
  ) {
    this.peer = { address };
  }

  /**
   * How much dearer than its latency and in-flight count say the endpoint is, from what its server
   * reported with its last reply (protocol v2 load reports; docs/overload.md) and whether it asked
   * to be left alone: 1 for a server with no queue, more as its queue delay grows against this
   * client's latency to it and as its async calls fill its limit, times 8 while it is shedding. A
   * report fades over 2 s, so an endpoint no reply has refreshed is not shunned for ever.
   */
  get loadFactor(): number {
    const now = turnNowMs();
    let f = 1;
    const report = this.channel.serverLoad;
    if (report !== null) {
      const fresh = 1 - (now - this.channel.serverLoadAtMs) / LOAD_REPORT_FADE_MS;
      if (fresh > 0) {
        const ewma = this.channel.ewmaMs;
        const utilization = report.inFlight / (report.limit > 0 ? report.limit : 1);
        const queued = report.queueDelayMs / (ewma > 1 ? ewma : 1);
        f += fresh * (queued + (utilization > 1 ? 1 : utilization * utilization));
      }
    }
    const shedUntil = this.health.shedUntil;
    if (shedUntil !== 0 && shedUntil > now) f *= SHEDDING_PENALTY;
    return f;
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
    return new Endpoint(instance, this.address, this.channel, this.circuit, this.health, this.throttle);
  }

  /** True when a call sent now could go out (or start a connection). */
  get usable(): boolean {
    const s = this.channel.state;
    return s === 'ready' || s === 'idle' || s === 'connecting';
  }
}
