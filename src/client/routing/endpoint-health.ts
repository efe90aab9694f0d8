import { type InstanceCache, instanceAddress } from '../../discovery';
import { AdaptiveThrottle, type BreakerStateChange, Breakers, breakerKey, type EndpointBreaker, type ResolvedBreakerPolicy } from '../../resilience';
import type { ChannelPool } from '../connection/channel-pool';

/**
 * What a client knows of one endpoint (address) of one service, whichever proxy or call by name
 * learnt it: attempts, failures, outlier ejection, and its circuit breakers, one per breaker
 * policy in use. Shared by every proxy of the client for that service, as grpc keeps a
 * subchannel's state below every channel that uses it. In-flight counts and latency live on the
 * endpoint's channel, which is shared too.
 */
export class EndpointHealth {
  /** Attempts sent. */
  calls = 0;
  /** Attempts that failed in a way that counts against the endpoint. */
  failures = 0;
  /** Failures in a row, for outlier detection. */
  consecutiveFailures = 0;
  /** How often outlier detection ejected it since its backoff last decayed; each ejection lasts longer. */
  ejections = 0;
  /** Ejected until this time (performance.now() clock); 0 when never ejected. */
  ejectedUntil = 0;
  /** performance.now() until which the server asked to be left alone: it shed a call with `retryAfterMs`. */
  shedUntil = 0;
  /** Adaptive throttles of this endpoint, one per throttle ratio in use (docs/overload.md). */
  readonly throttles = new Map<number, AdaptiveThrottle>();
  /** When an attempt last failed against it (performance.now() clock); 0 when none has. */
  lastFailureAt = 0;
  /** Its breakers, by the client's Breakers of each breaker policy. */
  readonly circuits = new Map<Breakers, EndpointBreaker>();

  constructor(
    readonly service: string,
    readonly address: string,
  ) {}

  /** The adaptive throttle of this endpoint for `ratio`, made on first use. */
  throttle(ratio: number): AdaptiveThrottle {
    let t = this.throttles.get(ratio);
    if (t === undefined) {
      t = new AdaptiveThrottle(ratio);
      this.throttles.set(ratio, t);
    }
    return t;
  }
}

/**
 * The client's endpoint health, per service and address, and its breakers, per breaker policy.
 * An endpoint's record (and its breakers) goes when its instance leaves the registry's set, and
 * its connection goes with it when no other service lists the address, so a client that sees
 * instances come and go for days keeps only the live ones.
 */
export class EndpointHealthTable {
  private readonly services = new Map<string, Map<string, EndpointHealth>>();
  private readonly breakersByPolicy = new Map<string, Breakers>();
  private closed = false;

  constructor(
    private readonly cache: InstanceCache,
    private readonly pool: ChannelPool,
    private readonly onBreakerChange: (e: BreakerStateChange) => void,
    /** Told when an endpoint of a service left its set and its state was dropped. */
    private readonly onRemoved: (e: { endpoint: string; service: string }) => void,
  ) {}

  /** The breakers of one policy, shared by every proxy that resolved to the same policy. */
  breakers(policy: ResolvedBreakerPolicy): Breakers {
    const key = `${policy.errorThresholdPercentage}/${policy.volumeThreshold}/${policy.rollingCountTimeoutMs}/${policy.resetTimeoutMs}`;
    let b = this.breakersByPolicy.get(key);
    if (b === undefined) {
      b = new Breakers(policy, { onStateChange: this.onBreakerChange });
      if (this.closed) b.shutdown();
      this.breakersByPolicy.set(key, b);
    }
    return b;
  }

  /** The record of `address` for `service`, made on first use. */
  health(service: string, address: string): EndpointHealth {
    let byAddress = this.services.get(service);
    if (byAddress === undefined) {
      byAddress = new Map();
      this.services.set(service, byAddress);
      this.cache.onChange(service, () => this.prune(service));
    }
    let h = byAddress.get(address);
    if (h === undefined) {
      h = new EndpointHealth(service, address);
      byAddress.set(address, h);
    }
    return h;
  }

  /** The breaker of `health`'s endpoint under `breakers`' policy, made on first use. */
  circuit(health: EndpointHealth, breakers: Breakers): EndpointBreaker {
    let c = health.circuits.get(breakers);
    if (c === undefined) {
      c = breakers.get(breakerKey(health.address, health.service), health.address, health.service);
      health.circuits.set(breakers, c);
    }
    return c;
  }

  /** Stops every breaker. */
  close(): void {
    this.closed = true;
    for (const b of this.breakersByPolicy.values()) b.shutdown();
    this.services.clear();
  }

  /** Drops the records of the service's endpoints that left its set, and their connections when no service lists them. */
  private prune(service: string): void {
    const byAddress = this.services.get(service);
    const instances = this.cache.peek(service);
    if (byAddress === undefined || instances === undefined) return;
    const live = new Set<string>();
    for (const i of instances) live.add(instanceAddress(i));
    for (const [address, h] of byAddress) {
      if (live.has(address)) continue;
      byAddress.delete(address);
      for (const [breakers] of h.circuits) breakers.delete(breakerKey(address, service));
      h.circuits.clear();
      if (!this.listedElsewhere(address)) this.pool.retire(address);
      this.onRemoved({ endpoint: address, service });
    }
  }

  private listedElsewhere(address: string): boolean {
    for (const byAddress of this.services.values()) if (byAddress.has(address)) return true;
    return false;
  }
}
