import { type App, type CallContext, type Client, type InterceptorFn, RpcError } from '../../../src';
import { Harness } from '../../helpers/apps';
import { StreamsService, until } from './stream-fixture';

describe('server streams over TCP', () => {
  const h = new Harness();
  let server: App;
  let client: Client;
  let svc: StreamsService;
  const seen: string[] = [];
  const record: InterceptorFn = async (ctx: CallContext, next) => {
    seen.push(`${ctx.side} open ${ctx.method} ${ctx.stream ?? 'unary'}`);
    try {
      const out = await next();
      seen.push(`${ctx.side} end ${ctx.method}`);
      return out;
    } catch (err) {
      seen.push(`${ctx.side} error ${ctx.method} ${(err as RpcError).code}`);
      throw err;
    }
  };

  beforeEach(async () => {
    seen.length = 0;
    ({ app: server } = await h.serve({ services: [StreamsService], interceptors: [record] }));
    svc = server.get(StreamsService);
    svc.log.reset();
    client = h.client({ interceptors: [record] });
  });
  afterEach(() => h.close());

  it('delivers a 100,000-message stream in order, with no duplicates', async () => {
    const remote = client.proxy(StreamsService);
    let expected = 0;
    for await (const n of remote.range(100_000)) {
      if (n !== expected) throw new Error(`got ${n}, expected ${expected}`);
      expected++;
    }
    expect(expected).toBe(100_000);
  }, 60_000);

  it('keeps an endless producer within window + 1 of a slow consumer (10 ms a message)', async () => {
    const remote = client.proxy(StreamsService);
    let consumed = 0;
    let worst = 0;
    for await (const _ of remote.endless()) {
      consumed++;
      worst = Math.max(worst, svc.log.produced - consumed);
      await new Promise((r) => setTimeout(r, 10));
      if (consumed === 60) break;
    }
    // Default window: 32 messages. The producer may compute one message past it.
    expect(worst).toBeLessThanOrEqual(33);
    expect(worst).toBeGreaterThan(0);
  }, 20_000);

  it('runs the handler finally soon after the caller breaks out after 10 messages, with no error to the caller', async () => {
    const remote = client.proxy(StreamsService);
    let got = 0;
    for await (const _ of remote.endless()) if (++got === 10) break;
    const brokeAt = Date.now();
    await until(() => svc.log.finallyRan === 1, 2_000, 'the handler finally');
    expect(svc.log.aborted).toEqual(['CANCELLED']);
    // ~50 ms locally; a generous bound for a busy machine.
    expect(svc.log.finallyAt - brokeAt).toBeLessThan(1_000);
    expect(got).toBe(10);
  });

  it('delivers exactly the 5 messages yielded before an error, then the error with code, message and details', async () => {
    const got: string[] = [];
    let caught: unknown;
    try {
      for await (const m of client.proxy(StreamsService).failAfter(5)) got.push(m);
    } catch (err) {
      caught = err;
    }
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(caught).toBeInstanceOf(RpcError);
    expect(caught).toMatchObject({ code: 'FAILED_PRECONDITION', message: 'stopped after 5', details: { after: 5 } });
  });

  it('lets interceptors on both sides see the stream as one call that ends with it', async () => {
    for await (const _ of client.proxy(StreamsService).range(3));
    await until(() => seen.length === 4);
    expect(seen.sort()).toEqual(['client end range', 'client open range server', 'server end range', 'server open range server'].sort());
  });

  it('ends a stream at its deadline with DEADLINE_EXCEEDED on both sides', async () => {
    const got: number[] = [];
    const started = Date.now();
    await expect(
      (async () => {
        for await (const n of client.stream('Streams', 'ticks', [20], { timeoutMs: 300 })) got.push(n as number);
      })(),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(got.length).toBeGreaterThan(2);
    await until(() => svc.log.finallyRan === 1, 2_000, 'the handler finally');
    expect(svc.log.aborted).toEqual(['DEADLINE_EXCEEDED']);
  });

  it('has no default deadline: a stream outlives the unary default when nothing sets one', async () => {
    // The unary default is 10 s; a policy default of 200 ms stands in for it here.
    const short = h.client({ policy: { timeoutMs: 200 } });
    let got = 0;
    for await (const _ of short.stream('Streams', 'ticks', [50])) if (++got === 8) break; // ~350 ms
    expect(got).toBe(8);
  });

  it('fails a stalled stream with DEADLINE_EXCEEDED (STREAM_IDLE) after idleTimeoutMs, and tells the server', async () => {
    let got = 0;
    await expect(
      (async () => {
        for await (const _ of client.stream('Streams', 'ticks', [5_000], { idleTimeoutMs: 150 })) got++;
      })(),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { reason: 'STREAM_IDLE' } });
    expect(got).toBe(1);
    await until(() => svc.log.finallyRan === 1, 2_000, 'the handler finally');
    expect(svc.log.aborted).toEqual(['CANCELLED']);
  });

  it('rejects the iteration with CANCELLED when the caller signal aborts', async () => {
    const ac = new AbortController();
    let got = 0;
    await expect(
      (async () => {
        for await (const _ of client.stream('Streams', 'endless', [], { signal: ac.signal })) if (++got === 3) ac.abort();
      })(),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    await until(() => svc.log.finallyRan === 1, 2_000, 'the handler finally');
  });

  it('ends quietly on stream.cancel(), and the server handler is aborted', async () => {
    const stream = client.proxy(StreamsService).endless();
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    stream.cancel('enough');
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
    await until(() => svc.log.finallyRan === 1, 2_000, 'the handler finally');
    expect(svc.log.aborted).toEqual(['CANCELLED']);
  });

  it('fails an open stream with UNAVAILABLE when the connection is lost mid-stream, after what arrived', async () => {
    const got: number[] = [];
    let caught: unknown;
    try {
      for await (const n of client.proxy(StreamsService).dropAfter(3)) got.push(n);
    } catch (err) {
      caught = err;
    }
    expect(got).toEqual([0, 1, 2]);
    expect(caught).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'CONNECTION_LOST' } });
  });

  it('counts an open stream as in flight on its endpoint, and cancels never count against the breaker', async () => {
    const remote = client.proxy(StreamsService);
    const it = remote.endless()[Symbol.asyncIterator]();
    await it.next();
    expect(client.stats().endpoints.find((e) => e.service === 'Streams')?.inFlight).toBe(1);
    await it.return?.();
    for (let i = 0; i < 10; i++) for await (const _ of remote.endless()) break;
    await until(() => client.stats().endpoints.find((e) => e.service === 'Streams')?.inFlight === 0);
    const e = client.stats().endpoints.find((x) => x.service === 'Streams');
    expect(e).toMatchObject({ failures: 0, breaker: 'closed' });
  });
});
