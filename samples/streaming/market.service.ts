import { currentContext, Method, Service } from '../../src';

/** One price tick of the feed. */
export interface Tick {
  symbol: string;
  seq: number;
  price: number;
}

/**
 * A market service with the three kinds of stream: a live price feed (server stream), a file
 * upload (client stream) and a chat (bidirectional).
 */
@Service('Market')
export class MarketService {
  /** Ticks produced by the feed so far, so the demo can show the producer waiting for its consumer. */
  produced = 0;
  /** Set when the feed's generator ran its finally block (the consumer broke out). */
  feedClosed = false;

  @Method({ stream: 'server' })
  async *prices(symbol: string): AsyncGenerator<Tick> {
    const signal = currentContext()?.signal;
    let price = 100;
    try {
      for (let seq = 1; !signal?.aborted; seq++) {
        price = Math.round((price + (Math.random() - 0.5)) * 100) / 100;
        this.produced++;
        // An endless producer: flow control makes it wait at this yield while the consumer is behind.
        yield { symbol, seq, price };
      }
    } finally {
      this.feedClosed = true;
    }
  }

  @Method({ stream: 'client' })
  async upload(chunks: AsyncIterable<Buffer>, name: string): Promise<{ name: string; bytes: number; chunks: number }> {
    let bytes = 0;
    let count = 0;
    for await (const chunk of chunks) {
      bytes += chunk.length;
      count++;
    }
    return { name, bytes, chunks: count };
  }

  @Method({ stream: 'bidi' })
  async *chat(messages: AsyncIterable<string>, nick: string): AsyncGenerator<string> {
    yield `${nick} joined`;
    for await (const m of messages) {
      yield m.endsWith('?') ? `bot: good question, ${nick}` : `bot: noted "${m}"`;
    }
    yield `${nick} left`;
  }
}
