import { build, type Histogram } from 'hdr-histogram-js';

// Latencies are recorded in microseconds: 1 µs to 1 hour, 3 significant digits.
const LOWEST_US = 1;
const HIGHEST_US = 3_600_000_000;
const SIGNIFICANT_DIGITS = 3;

/** What `rivet bench -o json` prints. */
export interface BenchReport {
  /** Calls that completed, successes and failures alike. */
  count: number;
  /** Calls that succeeded. */
  ok: number;
  /** Failed calls by code. */
  errors: Record<string, number>;
  /** From the first call's start to the last call's end, in ms. */
  durationMs: number;
  /** `count` per second of `durationMs`. */
  callsPerSecond: number;
  /** Latency percentiles of every completed call, in ms (from an HDR histogram, 3 significant digits). */
  latencyMs: { min: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  concurrency: number;
  /** The open-loop rate asked for, in calls per second; latencies then count from each call's scheduled start. */
  rate?: number;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Counts and an HDR histogram of one bench run. */
export class BenchStats {
  private readonly histogram: Histogram = build({ lowestDiscernibleValue: LOWEST_US, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS });
  readonly errors = new Map<string, number>();
  /** The first error of each code, to show one example on stderr. */
  readonly firstErrors = new Map<string, Error>();
  count = 0;
  ok = 0;

  /** Records one completed call; `code` undefined for a success. */
  record(latencyMs: number, code: string | undefined, err?: Error): void {
    this.count++;
    this.histogram.recordValue(Math.min(HIGHEST_US, Math.max(LOWEST_US, Math.round(latencyMs * 1000))));
    if (code === undefined) this.ok++;
    else {
      this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
      if (!this.firstErrors.has(code) && err !== undefined) this.firstErrors.set(code, err);
    }
  }

  /** The figures of the run; frees the histogram. */
  report(durationMs: number, concurrency: number, rate: number | undefined): BenchReport {
    const h = this.histogram;
    // A percentile is the top of its HDR bucket, which can lie a hair above the exact max.
    const at = (p: number) => (this.count === 0 ? 0 : round3(Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000));
    const out: BenchReport = {
      count: this.count,
      ok: this.ok,
      errors: Object.fromEntries([...this.errors].sort(([a], [b]) => (a < b ? -1 : 1))),
      durationMs: round3(durationMs),
      callsPerSecond: durationMs > 0 ? Math.round((this.count / durationMs) * 1000 * 10) / 10 : 0,
      latencyMs: {
        min: this.count === 0 ? 0 : round3(h.minNonZeroValue / 1000),
        mean: this.count === 0 ? 0 : round3(h.mean / 1000),
        p50: at(50),
        p90: at(90),
        p99: at(99),
        p999: at(99.9),
        max: this.count === 0 ? 0 : round3(h.maxValue / 1000),
      },
      concurrency,
    };
    if (rate !== undefined) out.rate = rate;
    h.destroy();
    return out;
  }
}

/** The report as text for people. */
export function formatBenchReport(r: BenchReport): string {
  const lines = [
    'Summary:',
    `  count:     ${r.count}`,
    `  ok:        ${r.ok}`,
    `  errors:    ${r.count - r.ok}`,
    `  duration:  ${(r.durationMs / 1000).toFixed(3)} s`,
    `  calls/s:   ${r.callsPerSecond.toFixed(1)}`,
    `  concurrency: ${r.concurrency}${r.rate === undefined ? '' : `, rate ${r.rate}/s (open loop)`}`,
    'Latency (ms):',
    `  min    ${r.latencyMs.min.toFixed(3)}`,
    `  mean   ${r.latencyMs.mean.toFixed(3)}`,
    `  p50    ${r.latencyMs.p50.toFixed(3)}`,
    `  p90    ${r.latencyMs.p90.toFixed(3)}`,
    `  p99    ${r.latencyMs.p99.toFixed(3)}`,
    `  p99.9  ${r.latencyMs.p999.toFixed(3)}`,
    `  max    ${r.latencyMs.max.toFixed(3)}`,
  ];
  const codes = Object.entries(r.errors);
  if (codes.length > 0) {
    lines.push('Errors:');
    for (const [code, n] of codes) lines.push(`  ${code.padEnd(20)} ${n}`);
  }
  return lines.join('\n');
}
