import { type App, type Client, RpcError } from '../../../src';
import { Harness } from '../../helpers/apps';
import { StreamsService, until } from './stream-fixture';

describe('client and bidi streams over TCP', () => {
  const h = new Harness();
  let server: App;
  let client: Client;
  let svc: StreamsService;

  beforeEach(async () => {
    ({ app: server } = await h.serve({ services: [StreamsService] }));
    svc = server.get(StreamsService);
    svc.log.reset();
    client = h.client();
  });
  afterEach(() => h.close());

  it('takes a client stream from an async generator, an array, or by name, and returns the reply', async () => {
    async function* numbers(): AsyncGenerator<number> {
      for (let i = 1; i <= 1_000; i++) yield i;
    }
    const remote = client.proxy(StreamsService);
    await expect(remote.sum(numbers())).resolves.toEqual({ total: 500_500, count: 1_000 });
    await expect(remote.sum([1, 2, 3])).resolves.toEqual({ total: 6, count: 3 });
    await expect(client.invoke('Streams', 'sum', [numbers()])).resolves.toEqual({ total: 500_500, count: 1_000 });
  });

  it('closes the caller input, and ignores the rest, when the handler answers before reading it all', async () => {
    let pulled = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (;;) {
          pulled++;
          yield 1;
        }
      } finally {
        closed = true;
      }
    }
    await expect(client.proxy(StreamsService).sum(endless(), 10)).resolves.toEqual({ total: 10, count: 10 });
    await until(() => closed, 2_000, 'the input to close');
    // Pulled only while credit lasted: the window (32) and the one in hand at most.
    expect(pulled).toBeLessThanOrEqual(10 + 33);
  });

  it('cancels the call, aborting the handler, when the caller input throws', async () => {
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('disk gone');
    }
    await expect(client.proxy(StreamsService).sum(broken())).rejects.toMatchObject({ code: 'CANCELLED' });
    await until(() => svc.log.aborted.length === 1, 2_000, 'the handler signal');
    expect(svc.log.aborted).toEqual(['CANCELLED']);
  });

  it('echoes 10,000 bidi messages in lockstep with a window of 1', async () => {
    let next: ((v: number) => void) | null = null;
    let last = -1;
    const sent = { n: 0 };
    async function* input(): AsyncGenerator<number> {
      // Lockstep: send i, then wait until its echo came back before sending i + 1.
      for (let i = 0; i < 10_000; i++) {
        sent.n++;
        yield i;
        await new Promise<number>((resolve) => {
          next = resolve;
        });
      }
    }
    const stream = client.stream('Streams', 'echo', [input()], { window: { messages: 1 } });
    for await (const v of stream) {
      if (v !== last + 1) throw new Error(`echo ${String(v)} after ${last}`);
      last = v as number;
      (next as ((v: number) => void) | null)?.(last);
    }
    expect(last).toBe(9_999);
    expect(sent.n).toBe(10_000);
  }, 60_000);

  it('learns a bidi method by name from the handshake, so an array first argument is its input', async () => {
    const got: unknown[] = [];
    for await (const m of client.stream('Streams', 'echo', [['a', 'b', 'c'], '> '])) got.push(m);
    expect(got).toEqual(['> a', '> b', '> c']);
  });

  it('takes an array as the input of a client stream by name on a fresh client, before any handshake', async () => {
    // The client's first call: nothing tells it yet that `sum` is a client stream.
    await expect(client.invoke('Streams', 'sum', [[1, 2, 3]])).resolves.toEqual({ total: 6, count: 3 });
    await expect(client.invoke('Streams', 'sum', [[4, 5]])).resolves.toEqual({ total: 9, count: 2 });
    // A server stream by invoke() on a fresh client is still refused, with how to call it.
    const fresh = h.client();
    await expect(fresh.invoke('Streams', 'range', [[1]])).rejects.toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'STREAMS_UNSUPPORTED' } });
  });

  it('refuses a streaming method called the wrong way with UNIMPLEMENTED', async () => {
    // Learn the facts first, then misuse them.
    for await (const _ of client.stream('Streams', 'range', [1]));
    await expect(client.invoke('Streams', 'range', [1])).rejects.toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'STREAMS_UNSUPPORTED' } });
    await expect(
      (async () => {
        for await (const _ of client.stream('Streams', 'ping', [])) void _;
      })(),
    ).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
  });

  it('answers unary calls on a connection that carries streams', async () => {
    const stream = client.proxy(StreamsService).endless();
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await expect(client.proxy(StreamsService).ping()).resolves.toBe('pong');
    stream.cancel();
  });

  it('rejects bad stream options with INVALID_ARGUMENT through the iteration', async () => {
    await expect(
      (async () => {
        for await (const _ of client.stream('Streams', 'range', [1], { window: { messages: 0 } })) void _;
      })(),
    ).rejects.toBeInstanceOf(RpcError);
    await expect(
      (async () => {
        for await (const _ of client.stream('Streams', 'range', [1], { idleTimeoutMs: -1 })) void _;
      })(),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
