import type { Writable } from 'node:stream';

/** Frames queued past this many bytes are written at once rather than at the end of the tick. */
export const OUTBOX_FLUSH_BYTES = 16 * 1024;

/**
 * Write batching with backpressure. Frames queued in one turn of the event loop go out together
 * in one corked write (writev), so many small replies cost one syscall. The batch is capped:
 * past OUTBOX_FLUSH_BYTES it flushes at once, because holding a whole tick's worth makes client
 * and server take turns instead of overlapping. When the socket says stop (write returns false),
 * frames wait here until 'drain', and `onPressure` lets the owner stop reading meanwhile.
 */
export class Outbox {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private blocked = false;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly stream: Writable,
    private readonly onPressure: (blocked: boolean) => void,
  ) {
    stream.on('drain', () => {
      this.blocked = false;
      this.onPressure(false);
      this.flush();
    });
  }

  /** Bytes waiting to be written. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  push(frame: Buffer | readonly Buffer[]): void {
    if (Buffer.isBuffer(frame)) {
      this.queue.push(frame);
      this.queuedBytes += frame.length;
    } else {
      for (const part of frame) {
        this.queue.push(part);
        this.queuedBytes += part.length;
      }
    }
    if (this.blocked) return;
    if (this.queuedBytes >= OUTBOX_FLUSH_BYTES) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      // nextTick runs after every promise reaction of this turn, so replies resolved together go
      // out together, without waiting a whole event-loop phase as setImmediate would.
      process.nextTick(this.flushBound);
    }
  }

  /** Writes everything queued now, unless the socket is applying backpressure. */
  flush(): void {
    this.scheduled = false;
    if (this.blocked || this.queue.length === 0 || this.stream.destroyed) return;
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    let ok: boolean;
    if (queue.length === 1) {
      ok = this.stream.write(queue[0]);
    } else {
      this.stream.cork();
      for (let i = 0; i < queue.length - 1; i++) this.stream.write(queue[i]);
      ok = this.stream.write(queue[queue.length - 1]);
      this.stream.uncork();
    }
    if (!ok) {
      this.blocked = true;
      this.onPressure(true);
    }
  }

  /** Drops everything queued (the connection is gone). */
  clear(): void {
    this.queue = [];
    this.queuedBytes = 0;
  }
}
