import { describeValue, nonNegativeInt, optionsObject, rejectUnknownKeys } from '../util';
import { invalidOption } from './policy-checks';

/** Calls that may wait for a slot by default: none, so a full bulkhead refuses at once. */
export const DEFAULT_MAX_QUEUE = 0;

/**
 * Caps concurrency: on the client per target service, on the server per method. Calls past
 * `maxConcurrent` wait in a queue of `maxQueue`; past that they are refused at once with
 * `RESOURCE_EXHAUSTED` (`BULKHEAD_FULL`).
 */
export interface BulkheadPolicy {
  /** Calls in flight at once. Required, an integer >= 1. */
  maxConcurrent: number;
  /** Calls that may wait for a slot. Default 0, an integer >= 0. */
  maxQueue?: number;
}

/** A validated, frozen {@link BulkheadPolicy}. */
export interface ResolvedBulkheadPolicy {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
}

const BULKHEAD_KEYS = ['maxConcurrent', 'maxQueue'] as const;

/**
 * Validates a BulkheadPolicy, fills in defaults and freezes it. Throws RivetConfigError:
 * RIVET_ERR_UNKNOWN_OPTION for an unknown key, RIVET_ERR_INVALID_OPTION when `maxConcurrent` is
 * missing or below 1, or `maxQueue` is negative.
 */
export function resolveBulkheadPolicy(input: unknown, name = 'BulkheadPolicy'): ResolvedBulkheadPolicy {
  if (input === undefined) {
    invalidOption(`${name} needs maxConcurrent, the most calls in flight at once, e.g. { maxConcurrent: 50 }.`);
  }
  const p = optionsObject(name, input);
  rejectUnknownKeys(name, p, BULKHEAD_KEYS);
  const maxConcurrent = p.maxConcurrent;
  if (!Number.isSafeInteger(maxConcurrent) || (maxConcurrent as number) < 1) {
    invalidOption(
      maxConcurrent === undefined
        ? `${name}.maxConcurrent is required: the most calls in flight at once, e.g. { maxConcurrent: 50 }.`
        : `${name}.maxConcurrent must be an integer >= 1 (calls in flight at once), got ${describeValue(maxConcurrent)}. To turn the bulkhead off, leave the bulkhead out.`,
    );
  }
  return Object.freeze({
    maxConcurrent: maxConcurrent as number,
    maxQueue: nonNegativeInt(`${name}.maxQueue`, p.maxQueue ?? DEFAULT_MAX_QUEUE, DEFAULT_MAX_QUEUE),
  });
}
