import type { CallContext, Invoker, Middleware } from '../call';

/** Seconds in the rolling window of percentiles, error % and the sparkline. */
export const ROLLING_WINDOW_SECONDS = 60;

// Latency buckets grow by 25% from 10 µs: 75 of them reach past 15 minutes, so any latency lands
// in one, and a percentile read from them is within 12.5% of the true value (half a bucket).
const BUCKET_GROWTH = 1.25;
const FIRST_BUCKET_MS = 0.01;
const BUCKETS = 75;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);

function bucketOf(ms: number): number {
  if (ms <= FIRST_BUCKET_MS) return 0;
  const b = Math.ceil(Math.log(ms / FIRST_BUCKET_MS) / LOG_GROWTH);
  return b < BUCKETS ? b : BUCKETS - 1;
}

/** The upper bound of bucket `b`, in ms. */
function upperMs(b: number): number {
  return FIRST_BUCKET_MS * BUCKET_GROWTH ** b;
}

/** One method's row on the dashboard. */
export interface MethodStatsRow {
  readonly service: string;
  readonly method: string;
  /** Calls finished since the app started. */
  readonly calls: number;
  /** Of those, the ones that failed (any code but OK). */
  readonly errors: number;
  readonly inFlight: number;
  /** Calls a second over the last 5 full seconds. */
  readonly ratePerSecond: number;
  /** Failed share of the rolling minute's calls, 0–100. */
  readonly errorPercent: number;
  /** Median latency over the rolling minute, ms; null with no calls in it. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Calls in each of the last 60 full seconds, oldest first. */
  readonly spark: readonly number[];
}

/**
 * One method's counters: totals, plus a ring of one-second slots (calls, errors and a latency
 * histogram each) for the rolling minute. Recording costs a few array writes; reading merges at
 * most 60 histograms, once a second for the dashboard.
 */
class MethodWindow {
  calls = 0;
  errors = 0;
  inFlight = 0;
  private readonly slotSecond = new Float64Array(ROLLING_WINDOW_SECONDS).fill(-1);
  private readonly slotCalls = new Uint32Array(ROLLING_WINDOW_SECONDS);
  private readonly slotErrors = new Uint32Array(ROLLING_WINDOW_SECONDS);
  private readonly slotLatency = new Uint32Array(ROLLING_WINDOW_SECONDS * BUCKETS);

  constructor(
    readonly service: string,
    readonly method: string,
  ) {}

  record(second: number, ms: number, ok: boolean): void {
    this.calls++;
    if (!ok) this.errors++;
    const slot = second % ROLLING_WINDOW_SECONDS;
    if (this.slotSecond[slot] !== second) {
      this.slotSecond[slot] = second;
      this.slotCalls[slot] = 0;
      this.slotErrors[slot] = 0;
      this.slotLatency.fill(0, slot * BUCKETS, (slot + 1) * BUCKETS);
    }
    this.slotCalls[slot]++;
    if (!ok) this.slotErrors[slot]++;
    this.slotLatency[slot * BUCKETS + bucketOf(ms)]++;
  }

  row(nowSecond: number): MethodStatsRow {
    const merged = new Uint32Array(BUCKETS);
    const spark: number[] = [];
    let windowCalls = 0;
    let windowErrors = 0;
    let recent = 0;
    // The window is the 60 seconds up to and including the current one; the sparkline and the
    // rate use full seconds only, so they do not dip while the current second fills.
    for (let age = ROLLING_WINDOW_SECONDS - 1; age >= 0; age--) {
      const second = nowSecond - age;
      const slot = ((second % ROLLING_WINDOW_SECONDS) + ROLLING_WINDOW_SECONDS) % ROLLING_WINDOW_SECONDS;
      const live = this.slotSecond[slot] === second;
      const calls = live ? this.slotCalls[slot] : 0;
      if (age > 0) spark.push(calls);
      if (age >= 1 && age <= 5) recent += calls;
      if (!live) continue;
      windowCalls += calls;
      windowErrors += this.slotErrors[slot];
      for (let b = 0; b < BUCKETS; b++) merged[b] += this.slotLatency[slot * BUCKETS + b];
    }
    return {
      service: this.service,
      method: this.method,
      calls: this.calls,
      errors: this.errors,
      inFlight: this.inFlight,
      ratePerSecond: recent / 5,
      errorPercent: windowCalls === 0 ? 0 : (100 * windowErrors) / windowCalls,
      p50Ms: percentile(merged, windowCalls, 0.5),
      p99Ms: percentile(merged, windowCalls, 0.99),
      spark,
    };
  }
}

function percentile(hist: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += hist[b];
    // The middle of the bucket (geometric), not its edge: at most half a bucket off.
    if (seen >= rank) return b === 0 ? FIRST_BUCKET_MS : Math.sqrt(upperMs(b - 1) * upperMs(b));
  }
  return upperMs(BUCKETS - 1);
}

/**
 * Per-method call statistics of a server, for the dashboard: a server middleware, outermost, so
 * it counts every call that reached the method's chain, refused ones included, from the wire and
 * from the gateway alike.
 */
export class MethodStats {
  private readonly byService = new Map<string, Map<string, MethodWindow>>();
  private readonly windows: MethodWindow[] = [];

  /** `methods`: the rows to show from the start, before any call. */
  constructor(methods: ReadonlyArray<{ service: string; method: string }>) {
    for (const m of methods) this.window(m.service, m.method);
  }

  /** The stage that records calls; give it to the server as its outermost global middleware. */
  middleware(): Middleware {
    return (next: Invoker): Invoker =>
      (ctx: CallContext) => {
        const w = this.window(ctx.service, ctx.method);
        w.inFlight++;
        const started = performance.now();
        return next(ctx).then(
          (value) => {
            this.done(w, started, true);
            return value;
          },
          (err: unknown) => {
            this.done(w, started, false);
            throw err;
          },
        );
      };
  }

  /**
   * Records one finished call of `service.method` that took `durationMs`, at `atMs` (epoch ms).
   * The middleware calls it; tools may feed calls made elsewhere.
   */
  record(service: string, method: string, durationMs: number, ok: boolean, atMs = Date.now()): void {
    this.window(service, method).record(Math.floor(atMs / 1000), durationMs, ok);
  }

  /** Every method's row, in the order first seen. */
  rows(nowMs = Date.now()): MethodStatsRow[] {
    const second = Math.floor(nowMs / 1000);
    // The built-in rivet.* services are plumbing, not the app's methods.
    return this.windows.filter((w) => !w.service.startsWith('rivet.')).map((w) => w.row(second));
  }

  private done(w: MethodWindow, started: number, ok: boolean): void {
    w.inFlight--;
    w.record(Math.floor(Date.now() / 1000), performance.now() - started, ok);
  }

  private window(service: string, method: string): MethodWindow {
    let methods = this.byService.get(service);
    if (methods === undefined) {
      methods = new Map();
      this.byService.set(service, methods);
    }
    let w = methods.get(method);
    if (w === undefined) {
      w = new MethodWindow(service, method);
      methods.set(method, w);
      this.windows.push(w);
    }
    return w;
  }
}
