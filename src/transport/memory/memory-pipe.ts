import { Duplex } from 'node:stream';

/** Which way bytes travel on a {@link MemoryLink}. */
export type MemoryDirection = 'toServer' | 'toClient';

// The end-of-stream marker in a pipe's queue: the writer ended (or went away).
const EOF = null;

/**
 * One direction of an in-memory connection: what one end writes, queued in order until it is
 * delivered to the other end's readable side. Delivery is asynchronous (a `process.nextTick`
 * after the write), as bytes on a socket arrive in a later callback, never inside `write()`; a
 * writer's callback runs once its chunk is delivered, so a stalled pipe fills the writer's
 * buffer and `write()` returns false, as a socket's does when the peer stops reading.
 */
export class MemoryPipe {
  private readonly queue: Array<{ chunk: Buffer | typeof EOF; done: (() => void) | null }> = [];
  private scheduled = false;
  private held = false;
  private waitingForRead = false;
  private eofDelivered = false;
  private readonly deliverBound = () => this.deliver();

  constructor(private readonly reader: Duplex) {}

  /** Queues a chunk; `done` runs once it reached the reader (or was discarded). */
  write(chunk: Buffer, done: () => void): void {
    this.enqueue(chunk, done);
  }

  /** Queues end-of-stream, behind what was written before it. */
  end(done: (() => void) | null = null): void {
    this.enqueue(EOF, done);
  }

  /** Stops delivering (bytes wait in the pipe, as in a network that stopped carrying them). */
  hold(): void {
    this.held = true;
  }

  /** Delivers what waited, and what comes from now on. */
  release(): void {
    this.held = false;
    this.schedule();
  }

  /** The reader asked for more: delivery stalled by its full buffer may go on. */
  readerWantsMore(): void {
    if (!this.waitingForRead) return;
    this.waitingForRead = false;
    this.schedule();
  }

  /** Throws away what is queued (the connection was reset); every writer's callback still runs. */
  discard(): void {
    const queue = this.queue.splice(0);
    for (const item of queue) item.done?.();
  }

  private enqueue(chunk: Buffer | typeof EOF, done: (() => void) | null): void {
    this.queue.push({ chunk, done });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.held || this.waitingForRead || this.queue.length === 0) return;
    this.scheduled = true;
    process.nextTick(this.deliverBound);
  }

  private deliver(): void {
    this.scheduled = false;
    while (!this.held && this.queue.length > 0) {
      const item = this.queue.shift() as { chunk: Buffer | typeof EOF; done: (() => void) | null };
      // A reader that is gone (destroyed) or already ended takes nothing more; the bytes vanish
      // as they would on a socket that was closed under them.
      const open = !this.reader.destroyed && !this.eofDelivered;
      let more = true;
      if (open) {
        if (item.chunk === EOF) {
          this.eofDelivered = true;
          this.reader.push(null);
        } else {
          more = this.reader.push(item.chunk);
        }
      }
      item.done?.();
      if (!more) {
        // The reader's buffer is full: wait until it reads (its _read calls readerWantsMore).
        this.waitingForRead = true;
        return;
      }
    }
  }
}

/**
 * One end of an in-memory connection, a Duplex like a socket: writes go through `out` to the
 * peer, the peer's writes arrive through `push`. `end()` delivers end-of-stream after the bytes
 * before it; `destroy()` does too (as closing a socket sends its FIN), so the peer sees `'end'`.
 */
export class MemoryEnd extends Duplex {
  /** The pipe this end writes into; set once the pair is made. */
  out!: MemoryPipe;
  /** The pipe this end reads from. */
  in!: MemoryPipe;

  constructor() {
    // allowHalfOpen: ending our side leaves the peer's open, as on TCP; the connection owner
    // ends its side when the peer ends (StreamConnection does).
    super({ allowHalfOpen: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.out.write(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.out.write(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.out.end(callback);
  }

  override _read(): void {
    this.in.readerWantsMore();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // The peer learns that this end is gone: end-of-stream after whatever was already sent.
    if (!this.writableFinished) this.out.end();
    callback(err);
  }
}

/** Makes two connected ends: what one writes, the other reads. */
export function memoryPair(): [MemoryEnd, MemoryEnd, MemoryPipe, MemoryPipe] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  const aToB = new MemoryPipe(b);
  const bToA = new MemoryPipe(a);
  a.out = aToB;
  a.in = bToA;
  b.out = bToA;
  b.in = aToB;
  return [a, b, aToB, bToA];
}
