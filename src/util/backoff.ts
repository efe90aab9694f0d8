/**
 * Capped exponential backoff with jitter of 0.8–1.2 (as grpc-js does), so that clients that lost
 * the same server do not come back in lockstep.
 */
export function jitteredBackoffMs(attempt: number, initialMs: number, maxMs: number, multiplier = 2): number {
  const base = Math.min(maxMs, initialMs * Math.pow(multiplier, attempt));
  return Math.min(maxMs, base * (0.8 + Math.random() * 0.4));
}
