import type CircuitBreaker from 'opossum';

// The one place Rivet reads a field opossum does not document. Its test
// (test/unit/resilience/opossum-window.test.ts) fails when an opossum release changes it: then
// delete this file's use and the closed path reports successes through opossum's events again.

/** The part of opossum's rolling-window Status that a closed breaker's success is counted in. */
export interface WindowCounter {
  increment(property: 'fires' | 'successes', latencyMs?: number): void;
}

/**
 * opossum's rolling window (`breaker.status`), when it has the `increment` its own 'fire' and
 * 'success' listeners call; null when a later opossum lacks it. Counting there directly is what
 * keeps a closed breaker's success at tens of nanoseconds: the two emits it replaces, with their
 * listener-array copies, cost about 110 ns a call.
 */
export function windowCounterOf<TI extends unknown[], TR>(breaker: CircuitBreaker<TI, TR>): WindowCounter | null {
  const status = (breaker as unknown as { status?: Partial<WindowCounter> }).status;
  return typeof status?.increment === 'function' ? (status as WindowCounter) : null;
}
