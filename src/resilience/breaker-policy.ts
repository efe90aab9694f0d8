import { durationMs, nonNegativeInt, optionsObject, rejectUnknownKeys } from '../util';
import { finiteInRange, invalidOption } from './policy-checks';

/** The failure rate, in percent, above which a breaker opens. */
export const DEFAULT_ERROR_THRESHOLD_PERCENTAGE = 50;
/** Calls a breaker must see in its window before it may open. */
export const DEFAULT_VOLUME_THRESHOLD = 20;
/** The breaker's rolling statistics window, in milliseconds. */
export const DEFAULT_ROLLING_COUNT_TIMEOUT_MS = 10_000;
/** How long an open breaker waits before it lets one probe through (half-open), in milliseconds. */
export const DEFAULT_RESET_TIMEOUT_MS = 5_000;

// opossum cuts the window into 10 buckets of rollingCountTimeoutMs / 10 each; below 10 ms a
// bucket would be 0 ms long.
const MIN_ROLLING_COUNT_TIMEOUT_MS = 10;

/**
 * The circuit breaker of each (endpoint, service). It counts only failures that say the endpoint
 * is unhealthy (see `countsAgainstEndpoint`), never business errors. Every key is optional.
 */
export interface BreakerPolicy {
  /** Opens when more than this percent of the calls in the window failed. Default 50, in (0, 100). */
  errorThresholdPercentage?: number;
  /** Calls the window must hold before the breaker may open. Default 20, >= 0. */
  volumeThreshold?: number;
  /** The rolling window the percentage is computed over, in milliseconds. Default 10000, >= 10. */
  rollingCountTimeoutMs?: number;
  /** How long it stays open before one probe call goes through (half-open), in milliseconds. Default 5000. */
  resetTimeoutMs?: number;
}

/** A validated, frozen {@link BreakerPolicy}. */
export interface ResolvedBreakerPolicy {
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly rollingCountTimeoutMs: number;
  readonly resetTimeoutMs: number;
}

const BREAKER_KEYS = ['errorThresholdPercentage', 'volumeThreshold', 'rollingCountTimeoutMs', 'resetTimeoutMs'] as const;

/**
 * Validates a BreakerPolicy, fills in defaults and freezes it. Throws RivetConfigError:
 * RIVET_ERR_UNKNOWN_OPTION for an unknown key, RIVET_ERR_INVALID_OPTION for a value out of range.
 */
export function resolveBreakerPolicy(input: unknown = {}, name = 'BreakerPolicy'): ResolvedBreakerPolicy {
  const p = optionsObject(name, input);
  rejectUnknownKeys(name, p, BREAKER_KEYS);
  const rollingCountTimeoutMs = durationMs(
    `${name}.rollingCountTimeoutMs`,
    p.rollingCountTimeoutMs ?? DEFAULT_ROLLING_COUNT_TIMEOUT_MS,
    DEFAULT_ROLLING_COUNT_TIMEOUT_MS,
  );
  if (!Number.isInteger(rollingCountTimeoutMs) || rollingCountTimeoutMs < MIN_ROLLING_COUNT_TIMEOUT_MS) {
    invalidOption(
      `${name}.rollingCountTimeoutMs must be a whole number of milliseconds >= ${MIN_ROLLING_COUNT_TIMEOUT_MS}, got ${rollingCountTimeoutMs}. ` +
        `Leave it out to use the default (${DEFAULT_ROLLING_COUNT_TIMEOUT_MS}).`,
    );
  }
  return Object.freeze({
    errorThresholdPercentage: finiteInRange(
      `${name}.errorThresholdPercentage`,
      p.errorThresholdPercentage ?? DEFAULT_ERROR_THRESHOLD_PERCENTAGE,
      { min: 0, max: 100, minExclusive: true, maxExclusive: true, meaning: 'a failure rate in percent; at 100 it could never open' },
      DEFAULT_ERROR_THRESHOLD_PERCENTAGE,
    ),
    volumeThreshold: nonNegativeInt(`${name}.volumeThreshold`, p.volumeThreshold ?? DEFAULT_VOLUME_THRESHOLD, DEFAULT_VOLUME_THRESHOLD),
    rollingCountTimeoutMs,
    resetTimeoutMs: durationMs(`${name}.resetTimeoutMs`, p.resetTimeoutMs ?? DEFAULT_RESET_TIMEOUT_MS, DEFAULT_RESET_TIMEOUT_MS),
  });
}
