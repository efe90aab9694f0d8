import type { Remote, RemoteStream } from '../../src';
import { typeErrorsOf } from '../helpers/type-check';

/*
 * Type tests for Remote<T> over streaming methods. The assertions are types: they hold when this
 * file compiles, which the one runtime test checks with the compiler (as remote-types.test.ts).
 */

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

interface Tick {
  price: number;
}
interface Chunk {
  bytes: Buffer;
}

class Market {
  async *watch(symbol: string, depth?: number): AsyncGenerator<Tick> {
    yield { price: symbol.length + (depth ?? 0) };
  }

  feed(): AsyncIterable<Tick> {
    return this.watch('x');
  }

  async upload(chunks: AsyncIterable<Chunk>, name: string): Promise<{ name: string; bytes: number }> {
    let bytes = 0;
    for await (const c of chunks) bytes += c.bytes.length;
    return { name, bytes };
  }

  async *chat(msgs: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const m of msgs) yield m;
  }

  price(symbol: string): number {
    return symbol.length;
  }

  fail(): never {
    throw new Error('no');
  }
}

type R = Remote<Market>;

// Server streams return a RemoteStream at once, with the method's other parameters unchanged.
assertType<Equal<R['watch'], (symbol: string, depth?: number) => RemoteStream<Tick>>>();
assertType<Equal<R['feed'], () => RemoteStream<Tick>>>();
// Client streams take any AsyncIterable or Iterable of the input, and return a promise.
assertType<Equal<R['upload'], (input: AsyncIterable<Chunk> | Iterable<Chunk>, name: string) => Promise<{ name: string; bytes: number }>>>();
// Bidi: both.
assertType<Equal<R['chat'], (input: AsyncIterable<string> | Iterable<string>) => RemoteStream<string>>>();
// Unary methods are untouched; a method that only throws stays a promise.
assertType<Equal<R['price'], (symbol: string) => Promise<number>>>();
assertType<Equal<R['fail'], () => Promise<never>>>();

async function use(market: R): Promise<void> {
  for await (const t of market.watch('ACME')) assertType<Equal<typeof t, Tick>>();
  const stream = market.chat(['a', 'b']);
  stream.cancel('done');
  stream.cancel();
  const summary = await market.upload([{ bytes: Buffer.alloc(1) }], 'f');
  assertType<Equal<typeof summary, { name: string; bytes: number }>>();
  async function* gen(): AsyncGenerator<Chunk> {
    yield { bytes: Buffer.alloc(2) };
  }
  await market.upload(gen(), 'g');
}

function misuse(market: R): void {
  // @ts-expect-error the input holds the wrong type
  void market.upload(['not a chunk'], 'f');
  // @ts-expect-error a stream is not a promise
  void market.watch('x').then;
  // @ts-expect-error the other arguments keep their types
  void market.watch(42);
}

describe('Remote<T> over streams', () => {
  it('type-checks: every assertion in this file holds and every @ts-expect-error finds its error', () => {
    expect(typeErrorsOf(__filename)).toBe('');
    expect([use, misuse].every((f) => typeof f === 'function')).toBe(true);
  });
});
