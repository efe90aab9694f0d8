import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** How often the backstop looks at the event loop, in ms. */
export const BACKSTOP_WINDOW_MS = 100;
/** The event loop counts as saturated above this utilization over a window... */
const SATURATED_UTILIZATION = 0.95;
/** ...when its p99 delay over the window also exceeds this, in ms. */
const SATURATED_DELAY_MS = 20;

/**
 * The backstop signal: event-loop utilization and delay from perf_hooks. Admission's own queue
 * and limit see only the calls it starts; work they cannot see (handlers' promise continuations,
 * GC, other code in the process) still shows here. It is read at most once per window, on a call
 * that happens to arrive or finish then (`sample`), so it costs one comparison per call.
 * `monitorEventLoopDelay` runs one libuv timer for the whole process, not one per call.
 */
export class Backstop {
  /** True while the last window saw a saturated event loop. */
  tripped = false;
  /** Utilization over the last window, 0 to 1. */
  utilization = 0;
  private last: EventLoopUtilization;
  private nextSampleAtMs = 0;
  private readonly delay: IntervalHistogram | null;

  constructor(enabled: boolean) {
    this.last = performance.eventLoopUtilization();
    this.delay = enabled ? monitorEventLoopDelay({ resolution: 10 }) : null;
    this.delay?.enable();
  }

  /** Re-reads the event loop when a window has passed; returns true when it just tripped. */
  sample(nowMs: number): boolean {
    if (nowMs < this.nextSampleAtMs) return false;
    this.nextSampleAtMs = nowMs + BACKSTOP_WINDOW_MS;
    const now = performance.eventLoopUtilization();
    this.utilization = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    if (this.delay === null) return false;
    const p99Ms = this.delay.percentile(99) / 1e6;
    this.delay.reset();
    const was = this.tripped;
    this.tripped = this.utilization >= SATURATED_UTILIZATION && p99Ms >= SATURATED_DELAY_MS;
    return this.tripped && !was;
  }

  /** Utilization since the last window, for app.load() (read on demand, not per call). */
  currentUtilization(): number {
    return performance.eventLoopUtilization(performance.eventLoopUtilization(), this.last).utilization;
  }

  /** Stops the delay monitor's timer. */
  close(): void {
    this.delay?.disable();
  }
}
