/**
 * What one sender of a stream may still send: the credit its peer granted, minus what it sent.
 * The rule (docs/PROTOCOL.md §10): a message may be sent while at least one message and one
 * byte of credit remain, whatever its size. So a message larger than the whole byte window
 * still goes, alone, and the byte credit goes negative until the peer grants it back: a big
 * message can never deadlock a stream.
 */
export class SendCredit {
  private messages = 0;
  private bytes = 0;
  private waiter: (() => void) | null = null;
  private closed = false;

  /** True while a message may be sent. */
  get available(): boolean {
    return this.messages > 0 && this.bytes > 0;
  }

  /** Spends credit for one message of `size` payload bytes. */
  take(size: number): void {
    this.messages--;
    this.bytes -= size;
  }

  /** Adds what a CREDIT frame grants, and wakes the sender if it now may send. */
  add(messages: number, bytes: number): void {
    this.messages += messages;
    this.bytes += bytes;
    if (this.waiter !== null && this.available) this.wake();
  }

  /** Resolves once credit is available or the stream closed (check `isClosed`). One waiter at a time. */
  wait(): Promise<void> {
    if (this.available || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The stream ended: a waiting sender wakes and sees `isClosed`. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
