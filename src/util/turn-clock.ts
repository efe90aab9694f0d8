let cached = -1;

function forget(): void {
  cached = -1;
}

/**
 * `performance.now()`, read at most once per stretch of work: the first read is kept, and a
 * `process.nextTick` forgets it. Read in a promise reaction, it is kept until every reaction queued
 * with it has run (the boundary at which the outbox writes what they queued); read in an I/O
 * callback, until the callback returns. A clock read costs about 40-50 ns, and a client read the
 * clock twice per call for its latency statistics alone.
 *
 * The time it returns can be early by however long the turn has run so far. Use it only where
 * that is harmless: latency samples (every frame a turn sends leaves at its end anyway, and every
 * reply in a chunk arrived at once) and counting buckets a second wide. Never for a deadline.
 */
export function turnNowMs(): number {
  if (cached < 0) {
    cached = performance.now();
    process.nextTick(forget);
  }
  return cached;
}
