import type { ReceiveWindow } from './receive-window';

/** What a StreamReceiver tells its owner. */
export interface ReceiverHooks {
  /**
   * Send a CREDIT frame granting this much more; `promptly` when the consumer still has half a
   * window buffered: sent at once, the sender refills while the consumer reads (see consumed()).
   */
  grant(messages: number, bytes: number, promptly: boolean): void;
  /** The consumer stopped early (`break`, `return()`, `throw()`): cancel the stream. */
  cancel(): void;
  /** A message moved (for the idle timer); optional. */
  activity?(): void;
}

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined }) as IteratorResult<never>;

/**
 * The receiving end of one stream direction: a buffer of at most a window of decoded messages,
 * read as an AsyncIterable. Consuming a message books it in the window, and a grant goes out when
 * half a window is due. The stream's end or error comes after every buffered message: nothing
 * that arrived is dropped, unless the consumer itself stops early, which cancels the stream.
 *
 * One consumer at a time: a second `next()` while one waits is an error in the caller.
 */
export class StreamReceiver<T = unknown> implements AsyncIterableIterator<T> {
  private values: T[] = [];
  private sizes: number[] = [];
  private head = 0;
  private ended = false;
  private error: unknown = undefined;
  private failed = false;
  private stopped = false;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void } | null = null;

  constructor(
    private window: ReceiveWindow,
    private readonly hooks: ReceiverHooks,
  ) {}

  /**
   * Starts counting against a fresh window: a retried stream's new attempt. Only before any
   * message arrived (a stream is never retried after one did).
   */
  resetWindow(window: ReceiveWindow): void {
    this.window = window;
  }

  /** True once the consumer stopped or saw the end or the error. */
  get finished(): boolean {
    return this.stopped || ((this.ended || this.failed) && this.head === this.values.length);
  }

  /** Messages buffered and not yet consumed. */
  get buffered(): number {
    return this.values.length - this.head;
  }

  /**
   * Hands one arrived message to the consumer (or buffers it). False when the peer had no credit
   * for it: the caller fails the stream. Ignored after the end, an error or a stop.
   */
  push(value: T, size: number): boolean {
    if (this.ended || this.failed || this.stopped) return true;
    if (!this.window.accept(size)) return false;
    this.hooks.activity?.();
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      this.consumed(size);
      w.resolve({ done: false, value });
      return true;
    }
    this.values.push(value);
    this.sizes.push(size);
    return true;
  }

  /** The peer sent everything: the consumer sees done after what is buffered. */
  end(): void {
    if (this.ended || this.failed || this.stopped) return;
    this.ended = true;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve(DONE);
    }
  }

  /** The stream failed: the consumer sees `err` after what is buffered. */
  fail(err: unknown): void {
    if (this.ended || this.failed || this.stopped) return;
    this.failed = true;
    this.error = err;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.reject(err);
    }
  }

  /**
   * Drops what is buffered and ends quietly: the stream was closed from our side (the handler
   * returned, the caller's call settled), so nobody will read on.
   */
  discard(): void {
    this.stopped = true;
    this.values = [];
    this.sizes = [];
    this.head = 0;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve(DONE);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.values.length) {
      const value = this.values[this.head];
      const size = this.sizes[this.head];
      this.head++;
      if (this.head === this.values.length) {
        // Reset rather than shift: an array emptied from the front would copy on every read.
        this.values.length = 0;
        this.sizes.length = 0;
        this.head = 0;
      }
      this.consumed(size);
      return Promise.resolve({ done: false, value });
    }
    if (this.failed && !this.stopped) return Promise.reject(this.error);
    if (this.ended || this.stopped) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The consumer stops (`break`): the stream is cancelled unless it already ended. */
  return(): Promise<IteratorResult<T>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  /** As `return()`: the consumer gives up on the stream. */
  throw(err?: unknown): Promise<IteratorResult<T>> {
    this.stop();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private stop(): void {
    if (this.stopped) return;
    const wasOpen = !this.ended && !this.failed;
    this.discard();
    if (wasOpen) this.hooks.cancel();
  }

  private consumed(size: number): void {
    this.hooks.activity?.();
    if (this.ended || this.failed || this.stopped) return;
    if (this.window.consume(size)) {
      const g = this.window.takeGrant();
      // A batch of messages is read in one turn, so a grant batched to the end of the turn leaves
      // only after the consumer has read everything: the sender idles for the whole batch, then the
      // consumer for a round trip. Sent at once while half a window is still to be read, the two
      // overlap (W7: one write more per window on the reader's side).
      this.hooks.grant(g.messages, g.bytes, this.values.length - this.head >= this.window.halfMessages);
    }
  }
}
