import type { ResolvedStreamWindow } from './stream-window';

/**
 * The receiver's books for one direction of one stream: what the peer may still send (granted
 * minus arrived), and what the application consumed that has not been granted back yet.
 *
 * Grants are batched: consumption is granted back once half the window (in messages or in bytes)
 * has been consumed, as HTTP/2 batches WINDOW_UPDATE. A sender blocked on credit has a full window
 * outstanding, so by the time the application has consumed what was buffered, at least half a
 * window is due and a grant goes out: batching can delay a sender, never stall it.
 */
export class ReceiveWindow {
  private messagesLeft = 0;
  private bytesLeft = 0;
  private dueMessages = 0;
  private dueBytes = 0;
  /** Half the window in messages: the grant threshold. */
  readonly halfMessages: number;
  private readonly halfBytes: number;

  constructor(readonly window: ResolvedStreamWindow) {
    this.halfMessages = Math.ceil(window.messages / 2);
    this.halfBytes = Math.ceil(window.bytes / 2);
  }

  /** Opens the window: the first grant, the whole window. The caller sends it as a CREDIT frame. */
  open(): { messages: number; bytes: number } {
    this.messagesLeft += this.window.messages;
    this.bytesLeft += this.window.bytes;
    return { messages: this.window.messages, bytes: this.window.bytes };
  }

  /**
   * Books a message of `size` payload bytes that arrived. False when the peer had no credit for
   * it (it sent past its window: fail the stream with RESOURCE_EXHAUSTED).
   */
  accept(size: number): boolean {
    if (this.messagesLeft <= 0 || this.bytesLeft <= 0) return false;
    this.messagesLeft--;
    this.bytesLeft -= size;
    return true;
  }

  /** Books a message the application consumed. True when a grant is due: take it with `takeGrant`. */
  consume(size: number): boolean {
    this.dueMessages++;
    this.dueBytes += size;
    return this.dueMessages >= this.halfMessages || this.dueBytes >= this.halfBytes;
  }

  /** The grant that is due, booked as sent. */
  takeGrant(): { messages: number; bytes: number } {
    const grant = { messages: this.dueMessages, bytes: this.dueBytes };
    this.messagesLeft += this.dueMessages;
    this.bytesLeft += this.dueBytes;
    this.dueMessages = 0;
    this.dueBytes = 0;
    return grant;
  }
}
