import { RivetConfigError, RivetErrorCode } from '../../errors';
import { durationMs, optionsObject, positiveInt, rejectUnknownKeys } from '../../util';
import type { Endpoint } from './endpoint';

/** Passive outlier detection: endpoints that keep failing are left out of picks for a while. */
export interface OutlierDetectionPolicy {
  /** Consecutive health-class failures (connection failures, UNAVAILABLE, DEADLINE_EXCEEDED, ...) that eject an endpoint. Default 5. */
  consecutiveFailures?: number;
  /** The first ejection's length; it doubles with each ejection of the same endpoint. Default 1000. */
  baseEjectionMs?: number;
  /** The longest ejection. Default 30000. */
  maxEjectionMs?: number;
  /** Never eject more than this share of a service's endpoints, in percent. Default 50. */
  maxEjectedPercent?: number;
}

/** A validated OutlierDetectionPolicy. */
export interface ResolvedOutlierDetectionPolicy {
  readonly consecutiveFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectedPercent: number;
}

/** Validates an outlier detection policy and fills in defaults. Throws RivetConfigError naming the option. */
export function resolveOutlierDetection(input: unknown, name: string): ResolvedOutlierDetectionPolicy {
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, ['consecutiveFailures', 'baseEjectionMs', 'maxEjectionMs', 'maxEjectedPercent']);
  const maxEjectedPercent = o.maxEjectedPercent === undefined ? 50 : positiveInt(`${name}.maxEjectedPercent`, o.maxEjectedPercent, 50);
  if (maxEjectedPercent > 100) throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.maxEjectedPercent must be from 1 to 100, got ${maxEjectedPercent}.`);
  const baseEjectionMs = o.baseEjectionMs === undefined ? 1_000 : durationMs(`${name}.baseEjectionMs`, o.baseEjectionMs, 1_000);
  const maxEjectionMs = o.maxEjectionMs === undefined ? Math.max(30_000, baseEjectionMs) : durationMs(`${name}.maxEjectionMs`, o.maxEjectionMs, 30_000);
  if (maxEjectionMs < baseEjectionMs) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.maxEjectionMs (${maxEjectionMs}) must be at least baseEjectionMs (${baseEjectionMs}).`);
  }
  return Object.freeze({
    consecutiveFailures: o.consecutiveFailures === undefined ? 5 : positiveInt(`${name}.consecutiveFailures`, o.consecutiveFailures, 5),
    baseEjectionMs,
    maxEjectionMs,
    maxEjectedPercent,
  });
}

// An endpoint neither ejected nor failing for this many base ejection times is forgiven: its next
// ejection lasts baseEjectionMs again (Envoy decays its ejection multiplier the same way).
const EJECTION_DECAY_FACTOR = 10;

/**
 * Counts consecutive failures per endpoint of one target and ejects the endpoints that pass the
 * threshold, for a backoff that grows with each ejection (capped), never more than
 * `maxEjectedPercent` of the endpoints at once. An ejected endpoint comes back by itself when its
 * time is up; one success resets its count, and a long quiet spell resets its backoff. The counts
 * live in the client's shared EndpointHealth, so every proxy of the service sees an ejection.
 */
export class OutlierDetector {
  constructor(
    private readonly policy: ResolvedOutlierDetectionPolicy,
    private readonly onEject: (endpoint: Endpoint, forMs: number) => void,
  ) {}

  /** An attempt on `endpoint` succeeded (or failed in a way that says nothing about its health). */
  onSuccess(endpoint: Endpoint): void {
    endpoint.health.consecutiveFailures = 0;
  }

  /** An attempt on `endpoint` failed in a way that counts against it. */
  onFailure(endpoint: Endpoint, all: readonly Endpoint[]): void {
    const h = endpoint.health;
    const now = performance.now();
    if (h.ejections > 0 && now - Math.max(h.lastFailureAt, h.ejectedUntil) >= EJECTION_DECAY_FACTOR * this.policy.baseEjectionMs) h.ejections = 0;
    h.lastFailureAt = now;
    h.consecutiveFailures++;
    if (h.consecutiveFailures < this.policy.consecutiveFailures || h.ejectedUntil > now) return;
    let ejected = 0;
    for (const e of all) if (e.health.ejectedUntil > now) ejected++;
    if (((ejected + 1) * 100) / all.length > this.policy.maxEjectedPercent) return;
    const forMs = Math.min(this.policy.maxEjectionMs, this.policy.baseEjectionMs * 2 ** h.ejections);
    h.ejections++;
    h.ejectedUntil = now + forMs;
    h.consecutiveFailures = 0;
    this.onEject(endpoint, forMs);
  }
}
