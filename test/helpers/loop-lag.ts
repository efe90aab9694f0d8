import { readFileSync } from 'node:fs';

/**
 * Records when this process's event loop could not run (descheduled on a busy machine, or busy
 * with other work), so a timing bound can allow for exactly the time the loop lost inside the
 * interval that matters, and for nothing else. A chain of short timers notes each tick's
 * lateness as a stall interval [when it was due, when it ran].
 *
 * `within(from, to)` sums the stalls overlapping [from, to] (performance.now() times): an event
 * that should have happened by `from` can have been held back at most by that much, since the
 * loop ran every other moment of the interval. A bound `at - expected <= margin + within(...)` is
 * as tight as the margin whenever the loop was not starved, and still fails when the code is
 * late for a reason of its own.
 */
export interface LoopLag {
  /** The loop's lost time inside [fromMs, toMs], in ms. */
  within(fromMs: number, toMs: number): number;
  /** Stops watching (what was seen stays readable). */
  stop(): void;
}

const TICK_MS = 2;
// Timers run up to about a millisecond late on an idle machine: that is not a stall.
const JITTER_MS = 1;

export function watchLoopLag(): LoopLag {
  const stalls: Array<[number, number]> = [];
  let timer: NodeJS.Timeout | null = null;
  let due = performance.now() + TICK_MS;
  const tick = (): void => {
    const now = performance.now();
    if (now - due > JITTER_MS) stalls.push([due, now]);
    due = now + TICK_MS;
    timer = setTimeout(tick, TICK_MS);
    timer.unref();
  };
  timer = setTimeout(tick, TICK_MS);
  timer.unref();
  return {
    within(fromMs: number, toMs: number): number {
      let lost = 0;
      const overlap = (a: number, b: number): number => Math.max(0, Math.min(b, toMs) - Math.max(a, fromMs));
      for (const [a, b] of stalls) lost += overlap(a, b);
      // A stall that ended just before this call, whose tick has not run yet to record it.
      const now = performance.now();
      if (timer !== null && now - due > JITTER_MS) lost += overlap(due, now);
      return lost;
    },
    stop(): void {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

/**
 * How long this process's main thread has waited, runnable, for a CPU (Linux's
 * /proc/self/schedstat, the run-queue delay), in ms; 0 where the kernel does not say. For a busy
 * loop, which starves its own timers so `watchLoopLag` cannot tell its own work from the
 * machine's: its wall time minus the growth of this is the time it ran or waited on purpose.
 */
export function runQueueWaitMs(): number {
  try {
    const fields = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/);
    const ns = Number(fields[1]);
    return Number.isFinite(ns) ? ns / 1e6 : 0;
  } catch {
    return 0;
  }
}
