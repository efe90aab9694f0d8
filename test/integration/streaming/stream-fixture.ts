import { currentContext, Method, RpcError, Service } from '../../../src';

/** Records what the server side of the streaming tests saw. */
export class StreamLog {
  produced = 0;
  finallyRan = 0;
  aborted: string[] = [];
  openedAt = 0;
  finallyAt = 0;
  inputClosed = 0;
  calls = 0;
  reset(): void {
    this.produced = 0;
    this.finallyRan = 0;
    this.aborted = [];
    this.openedAt = 0;
    this.finallyAt = 0;
    this.inputClosed = 0;
    this.calls = 0;
  }
}

/** One service for the streaming tests: each method is one behaviour. */
@Service('Streams')
export class StreamsService {
  readonly log = new StreamLog();

  private watchSignal(): void {
    const signal = currentContext()?.signal;
    signal?.addEventListener('abort', () => this.log.aborted.push((signal.reason as RpcError).code), { once: true });
  }

  /** `count` numbers, 0..count-1. */
  @Method({ stream: 'server' })
  async *range(count: number): AsyncGenerator<number> {
    this.log.calls++;
    for (let i = 0; i < count; i++) yield i;
  }

  /** Endless; counts what it produced; records its finally and its signal. */
  @Method({ stream: 'server' })
  async *endless(): AsyncGenerator<number> {
    this.log.calls++;
    this.watchSignal();
    this.log.openedAt = Date.now();
    try {
      for (let i = 0; ; i++) {
        this.log.produced++;
        yield i;
      }
    } finally {
      this.log.finallyRan++;
      this.log.finallyAt = Date.now();
    }
  }

  /** Endless but slow: one message per `everyMs`, awaiting with the signal. */
  @Method({ stream: 'server' })
  async *ticks(everyMs: number): AsyncGenerator<number> {
    this.log.calls++;
    this.watchSignal();
    const signal = currentContext()!.signal;
    try {
      for (let i = 0; !signal.aborted; i++) {
        yield i;
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(t);
            signal.removeEventListener('abort', wake);
            resolve();
          };
          const t = setTimeout(wake, everyMs);
          signal.addEventListener('abort', wake, { once: true });
        });
      }
    } finally {
      this.log.finallyRan++;
    }
  }

  /** `n` messages, then an error with code, message and details. */
  @Method({ stream: 'server' })
  async *failAfter(n: number): AsyncGenerator<string> {
    this.log.calls++;
    for (let i = 0; i < n; i++) yield `m${i}`;
    throw new RpcError('FAILED_PRECONDITION', `stopped after ${n}`, { after: n });
  }

  /** `n` messages, then the connection drops under the stream. */
  @Method({ stream: 'server' })
  async *dropAfter(n: number): AsyncGenerator<number> {
    this.log.calls++;
    for (let i = 0; i < n; i++) yield i;
    // Let the messages reach the socket first: a dropped connection loses what is still queued.
    await new Promise((r) => setTimeout(r, 50));
    throw new RpcError('UNAVAILABLE', 'dropping', { reason: 'DROP_CONNECTION' });
  }

  /** Sums its input; `stopAt` stops reading early and answers. */
  @Method({ stream: 'client' })
  async sum(input: AsyncIterable<number>, stopAt?: number): Promise<{ total: number; count: number }> {
    this.log.calls++;
    this.watchSignal();
    let total = 0;
    let count = 0;
    for await (const v of input) {
      total += v;
      count++;
      if (stopAt !== undefined && count >= stopAt) break;
    }
    return { total, count };
  }

  /** Echoes each message. */
  @Method({ stream: 'bidi' })
  async *echo(input: AsyncIterable<unknown>, prefix = ''): AsyncGenerator<unknown> {
    this.log.calls++;
    this.watchSignal();
    try {
      for await (const m of input) yield typeof m === 'string' ? `${prefix}${m}` : m;
    } finally {
      this.log.finallyRan++;
    }
  }

  @Method()
  ping(): string {
    return 'pong';
  }
}

/** Resolves once `cond` holds; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 3_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
