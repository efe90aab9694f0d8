import { SingleBar } from 'cli-progress';

// Runs shorter than this finish before a bar would tell anyone anything.
const SHOW_AFTER_MS = 1_000;

// Where stderr is not a terminal (a CI log, a pipe), the bar is a line this often instead of a redraw.
const LOG_LINE_EVERY_MS = 1_000;

/**
 * A progress bar on stderr that appears only once a run has lasted a second: redrawn in place on
 * a terminal, one line per second elsewhere, so a long run shows progress in a log too.
 */
export class BenchProgress {
  private bar: SingleBar | null = null;
  private readonly timer: NodeJS.Timeout;
  private completed = 0;

  /** `total` calls, or `durationMs` of time when there is no call bound. */
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly total: number | undefined,
    private readonly durationMs: number | undefined,
  ) {
    const startedAt = Date.now();
    this.timer = setTimeout(() => {
      const byTime = this.total === undefined;
      this.bar = new SingleBar({
        stream: this.stream,
        noTTYOutput: true,
        notTTYSchedule: LOG_LINE_EVERY_MS,
        hideCursor: false,
        clearOnComplete: true,
        // A -z run knows its time left exactly; the bar's own estimate is for -n runs.
        format: byTime ? 'bench [{bar}] {percentage}% | {calls} calls | {left}s left' : 'bench [{bar}] {percentage}% | {value}/{total} calls | {eta}s left',
      });
      const total = byTime ? (this.durationMs ?? 1) : this.total;
      const byTimeState = () => {
        const elapsed = Date.now() - startedAt;
        return { elapsed, payload: { calls: this.completed, left: Math.max(0, Math.ceil(((total ?? 1) - elapsed) / 1000)) } };
      };
      const first = byTimeState();
      this.bar.start(total ?? 1, byTime ? first.elapsed : this.completed, first.payload);
      if (byTime) {
        this.refresh = () => {
          const now = byTimeState();
          this.bar?.update(Math.min(total ?? 1, now.elapsed), now.payload);
        };
        this.ticker = setInterval(this.refresh, 200);
      }
    }, SHOW_AFTER_MS);
  }

  private ticker: NodeJS.Timeout | undefined;
  // Brings a -z run's bar up to date, so its last line shows where the run ended.
  private refresh: (() => void) | undefined;

  /** Called after each completed call. */
  update(completed: number): void {
    this.completed = completed;
    if (this.bar !== null && this.total !== undefined) this.bar.update(completed);
  }

  /** Removes the bar (and its timers). */
  stop(): void {
    clearTimeout(this.timer);
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.refresh?.();
    this.bar?.stop();
    this.bar = null;
  }
}
