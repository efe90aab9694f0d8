/*
 * Why Gradient2 (Netflix concurrency-limits, Gradient2Limit.java) and not Vegas or brpc's limiter:
 * - Vegas and Envoy's gradient compare latency with a *minimum* RTT. In a Node process the minimum
 *   drifts (JIT warm-up, GC, a busier machine), so it must be re-measured by pinning the limit low
 *   for a while (Envoy), which rejects a burst of calls each time: exactly the harm to avoid at
 *   normal load.
 * - brpc's auto limiter (max_qps * ((2 + a) * min_latency - latency)) also needs a minimum latency,
 *   re-measured by draining, and a good max_qps estimate; its own docs call minRTT + sqrt(L) unstable.
 * - Gradient2 compares a short-term average with a long-term one that follows slow drift and decays
 *   quickly after a load drop, so it needs no probing. It grows by a queue allowance (sqrt(limit))
 *   while latency holds, and cuts by up to half when the short average rises past a tolerance.
 * The controller only sees async handler calls: a synchronous handler holds the event loop for its
 * whole run, so its concurrency is 1 whatever the limit, and the queue, not the limit, bounds it.
 */

/** Tunables of the adaptive limit (see GRADIENT_DEFAULTS). */
export interface GradientTunables {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  tolerance: number;
  smoothing: number;
  windowMs: number;
  minSamples: number;
  longWindows: number;
}

/** Defaults of the adaptive limit. */
export const GRADIENT_DEFAULTS: Readonly<GradientTunables> = Object.freeze({
  // Netflix starts at 20, for threads. An awaiting Node handler costs a promise, not a thread, and
  // an I/O-bound service may hold a hundred calls at normal load; start high, and let latency (or
  // the event-loop backstop) bring the limit down when the CPU is what saturates.
  initialLimit: 200,
  /** The floor: never fewer async calls at once than this. */
  minLimit: 10,
  maxLimit: 5000,
  /** Short latency may exceed the long-term average by this factor before the limit shrinks. */
  tolerance: 1.5,
  /** Weight of each window's new limit. */
  smoothing: 0.2,
  /** A window closes after this long with at least minSamples samples. */
  windowMs: 100,
  minSamples: 10,
  /** The long-term average weighs about the last this-many windows. */
  longWindows: 60,
});

/** Tunables of a GradientLimit; every field defaults to GRADIENT_DEFAULTS. */
export type GradientOptions = Partial<GradientTunables>;

/**
 * An adaptive concurrency limit (Gradient2). Feed it one sample per finished call with
 * `addSample`; it updates `limit` at most once per window. Pure arithmetic on the times it is
 * given, so tests drive it with a fake clock.
 */
export class GradientLimit {
  /** The current limit, a whole number between minLimit and maxLimit. */
  limit: number;
  /**
   * Whether the event loop is busy enough for rising latency to mean this process is saturated.
   * While false the limit may grow but never shrinks: in Node the resource admission guards is
   * the event loop, and a handler that awaits a slow downstream costs it almost nothing (the
   * client's breakers and budgets protect the downstream). Admission sets it from the backstop.
   */
  cpuBusy = true;
  private estimate: number;
  private readonly o: GradientTunables;
  private longRttMs = 0;
  private windows = 0;
  private windowStartMs = -1;
  private windowSumMs = 0;
  private windowCount = 0;
  private windowMaxInFlight = 0;

  constructor(opts: GradientOptions = {}) {
    this.o = { ...GRADIENT_DEFAULTS, ...opts };
    this.estimate = this.o.initialLimit;
    this.limit = this.o.initialLimit;
  }

  /**
   * One finished call: how long it ran (`rttMs`), how many calls were running when it finished
   * (itself included), and the time now. Returns true when the limit was updated.
   */
  addSample(rttMs: number, inFlight: number, nowMs: number): boolean {
    if (this.windowStartMs < 0) this.windowStartMs = nowMs;
    this.windowSumMs += rttMs;
    this.windowCount++;
    if (inFlight > this.windowMaxInFlight) this.windowMaxInFlight = inFlight;
    if (nowMs - this.windowStartMs < this.o.windowMs || this.windowCount < this.o.minSamples) return false;
    this.update(this.windowSumMs / this.windowCount, this.windowMaxInFlight);
    this.windowStartMs = nowMs;
    this.windowSumMs = 0;
    this.windowCount = 0;
    this.windowMaxInFlight = 0;
    return true;
  }

  /** Cuts the limit by `factor` (the backstop's signal that the event loop itself is saturated). */
  backOff(factor: number): void {
    this.estimate = Math.max(this.o.minLimit, this.estimate * factor);
    this.limit = Math.round(this.estimate);
  }

  private update(shortRttMs: number, maxInFlight: number): void {
    const o = this.o;
    // The long-term average: a plain mean while warming up, then an EWMA over ~longWindows windows.
    this.windows++;
    if (this.windows <= 10) this.longRttMs += (shortRttMs - this.longRttMs) / this.windows;
    else this.longRttMs += (shortRttMs - this.longRttMs) * (2 / (o.longWindows + 1));
    // After a load drop the short average falls far below the long one; let the long one catch up
    // fast, or the limit would keep growing on a stale baseline.
    if (this.longRttMs / shortRttMs > 2) this.longRttMs *= 0.95;
    // Too little traffic to say anything about a higher limit: hold it (the app, not the server, is the bottleneck).
    if (maxInFlight < this.estimate / 2) return;
    const gradient = this.cpuBusy ? Math.max(0.5, Math.min(1, (o.tolerance * this.longRttMs) / shortRttMs)) : 1;
    const next = this.estimate * gradient + Math.sqrt(this.estimate);
    this.estimate = Math.max(o.minLimit, Math.min(o.maxLimit, this.estimate * (1 - o.smoothing) + next * o.smoothing));
    this.limit = Math.round(this.estimate);
  }
}
