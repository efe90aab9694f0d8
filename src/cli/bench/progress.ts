import { SingleBar } from 'cli-progress';

// Runs shorter than this finish before a bar would tell anyone anything.
const SHOW_AFTER_MS = 1_000;

/** A progress bar on stderr that appears only once a run has lasted a second. */
export class BenchProgress {
  private bar: SingleBar | null = null;
  private readonly timer: NodeJS.Timeout;
  private completed = 0;

  /**
   * `total` calls, or `durationMs` of time when there is no call bound. `force` draws on a
   * stream that is not a terminal (off by default: a bar in a log file is noise).
   */
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly total: number | undefined,
    private readonly durationMs: number | undefined,
    force: boolean,
  ) {
    const startedAt = Date.now();
    this.timer = setTimeout(() => {
      const byTime = this.total === undefined;
      this.bar = new SingleBar({
        stream: this.stream,
        noTTYOutput: force,
        hideCursor: false,
        clearOnComplete: true,
        format: byTime ? 'bench [{bar}] {percentage}% | {calls} calls | {eta}s left' : 'bench [{bar}] {percentage}% | {value}/{total} calls | {eta}s left',
      });
      const total = byTime ? (this.durationMs ?? 1) : this.total;
      this.bar.start(total ?? 1, byTime ? Date.now() - startedAt : this.completed, { calls: this.completed });
      if (byTime) this.ticker = setInterval(() => this.bar?.update(Date.now() - startedAt, { calls: this.completed }), 200);
    }, SHOW_AFTER_MS);
  }

  private ticker: NodeJS.Timeout | undefined;

  /** Called after each completed call. */
  update(completed: number): void {
    this.completed = completed;
    if (this.bar !== null && this.total !== undefined) this.bar.update(completed);
  }

  /** Removes the bar (and its timers). */
  stop(): void {
    clearTimeout(this.timer);
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.bar?.stop();
    this.bar = null;
  }
}
