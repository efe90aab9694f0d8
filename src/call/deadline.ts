/** The deadline of a call that sets none: 10 seconds. */
export const DEFAULT_DEADLINE_MS = 10_000;

/**
 * The tighter of an absolute deadline and a relative timeout, as an absolute epoch-ms deadline.
 * `undefined` inputs are ignored.
 */
export function tighterDeadline(deadline: number | undefined, timeoutMs: number | undefined, now: number): number | undefined {
  const fromTimeout = timeoutMs === undefined ? undefined : now + timeoutMs;
  if (deadline === undefined) return fromTimeout;
  if (fromTimeout === undefined) return deadline;
  return deadline < fromTimeout ? deadline : fromTimeout;
}

/** Milliseconds left until `deadline`, never below 0; what travels on the wire, since clocks differ between hosts. */
export function remainingMs(deadline: number, now: number): number {
  const left = deadline - now;
  return left > 0 ? Math.ceil(left) : 0;
}
