import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { isRpcError } from '../../errors';
import { BenchStats } from './bench-stats';

/** What one bench run does. */
export interface BenchPlan {
  /** Stop starting calls after this many (`-n`); undefined: no count bound. */
  total: number | undefined;
  /** Stop after this long (`-z`), cancelling calls still in flight; undefined: no time bound. */
  durationMs: number | undefined;
  /** Calls in flight at most (`-c`). */
  concurrency: number;
  /** Open loop (`--rate`): start calls on a fixed schedule of this many per second. */
  rate: number | undefined;
  /** One call; it must settle soon after `signal` aborts. */
  call: (signal: AbortSignal) => Promise<unknown>;
  /** Told after every completed call. */
  onProgress?: (completed: number) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs a bench. Closed loop by default: `concurrency` workers each start a call when their last
 * one ends. With `rate`, calls start on schedule whatever the replies do, and each latency counts
 * from its scheduled start (so a stall shows up in the percentiles instead of hiding). Never
 * starts more than `total` calls, and at `durationMs` cancels what is in flight and stops: calls
 * cut off by that bound are not counted.
 */
export async function runBench(plan: BenchPlan): Promise<{ stats: BenchStats; elapsedMs: number }> {
  const stats = new BenchStats();
  const stop = new AbortController();
  // Every call in flight listens to the stop signal; without this Node warns past 10 listeners.
  setMaxListeners(plan.concurrency + 16, stop.signal);
  let timer: NodeJS.Timeout | undefined;
  if (plan.durationMs !== undefined) timer = setTimeout(() => stop.abort(), plan.durationMs);
  let started = 0;
  const canStart = () => !stop.signal.aborted && (plan.total === undefined || started < plan.total);
  // One promise for the stop, shared by every wait: a listener per wait would pile up.
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  const t0 = performance.now();
  let lastEnd = t0;

  const one = async (startedAt: number): Promise<void> => {
    let code: string | undefined;
    let error: Error | undefined;
    try {
      await plan.call(stop.signal);
    } catch (err) {
      // Cut off by the -z bound: not a call the server failed.
      if (stop.signal.aborted) return;
      code = isRpcError(err) ? err.code : 'UNKNOWN';
      error = err as Error;
    }
    const end = performance.now();
    lastEnd = Math.max(lastEnd, end);
    stats.record(end - startedAt, code, error);
    plan.onProgress?.(stats.count);
  };

  try {
    if (plan.rate === undefined) {
      const worker = async (): Promise<void> => {
        while (canStart()) {
          started++;
          await one(performance.now());
        }
      };
      await Promise.all(Array.from({ length: plan.concurrency }, worker));
    } else {
      const intervalMs = 1000 / plan.rate;
      const inFlight = new Set<Promise<void>>();
      while (canStart()) {
        const scheduled = t0 + started * intervalMs;
        const wait = scheduled - performance.now();
        if (wait >= 1) await Promise.race([sleep(wait), stopped]);
        if (!canStart()) break;
        // At the concurrency cap, wait for a slot; the wait counts in the latency.
        while (inFlight.size >= plan.concurrency && !stop.signal.aborted) await Promise.race([...inFlight, stopped]);
        if (!canStart()) break;
        started++;
        // Sleeps are whole milliseconds, so a call may start up to 1 ms early: count from then.
        const p = one(Math.min(scheduled, performance.now())).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return { stats, elapsedMs: (stop.signal.aborted && plan.durationMs !== undefined ? Math.min(lastEnd, t0 + plan.durationMs) : lastEnd) - t0 };
}
