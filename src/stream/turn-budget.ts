/**
 * Stream messages one connection sends per turn of the event loop before its streams yield. At
 * 128, ten concurrent streams ran at half the messages/s of 512 (quick bench W8: ~180,000/s
 * against ~380,000/s), with every turn cut short; at 512 the fairness test's unary p99 beside 20
 * saturating streams was 6 ms (15 ms at 128, the difference being fewer deferred turns).
 */
export const DEFAULT_STREAM_FRAMES_PER_TURN = 512;

/**
 * The fairness scheduler of one connection's streams: a budget of stream messages per turn of
 * the event loop.
 *
 * Unary replies and control frames (CREDIT, END, ERROR, PONG) go straight to the connection's
 * outbox; only stream messages spend the budget. Once a turn's budget is spent, every stream
 * sender waits for the next turn (`setImmediate`, which runs after the poll phase): the requests
 * and credit grants that arrived meanwhile are read and answered first, so a unary call waits at
 * most one turn's worth of stream frames, however many streams saturate the connection.
 * Waiting senders resume in the order they stopped, and each sends at most one message before
 * the others had their chance (each awaits its source between messages), so the streams take
 * turns message by message: round-robin without a queue of frames.
 *
 * This is the simplest design that met the fairness target (docs/streaming.md): a per-frame
 * ring of ready streams was not needed because credit already caps what each stream can queue.
 */
export class TurnBudget {
  private spent = 0;
  private waiters: Array<() => void> = [];
  private scheduled = false;
  private readonly resetBound = (): void => this.reset();

  constructor(private readonly framesPerTurn = DEFAULT_STREAM_FRAMES_PER_TURN) {}

  /** True when this turn's budget is spent: wait for `nextTurn()` before sending. */
  get exhausted(): boolean {
    return this.spent >= this.framesPerTurn;
  }

  /** Books one stream message sent this turn. */
  spend(): void {
    if (this.spent++ === 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.resetBound);
    }
  }

  /** Resolves at the next turn, when the budget is fresh. */
  nextTurn(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private reset(): void {
    this.scheduled = false;
    this.spent = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
