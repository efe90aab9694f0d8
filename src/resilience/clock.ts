/**
 * A monotonic clock in milliseconds. Budgets and token buckets measure elapsed time with it, so a
 * wall-clock jump (NTP, a VM resumed) neither refills a bucket nor empties a window. Tests pass a
 * fake one they advance by hand.
 */
export type MonotonicClock = () => number;

/** The default {@link MonotonicClock}: `performance.now()`, milliseconds since the process started. */
export const monotonicNowMs: MonotonicClock = () => performance.now();
