import { type InterceptorFn, RpcError } from '../../../src';
import { Harness } from '../../helpers/apps';
import { StreamsService, until } from './stream-fixture';

describe('stream retries, drain and limits over TCP', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('retries a stream refused at its start (nothing committed) on another endpoint', async () => {
    let refused = 0;
    const refuse: InterceptorFn = async () => {
      refused++;
      throw new RpcError('UNAVAILABLE', 'not here', undefined, { notProcessed: true });
    };
    const a = await h.serve({ services: [StreamsService], interceptors: [refuse] });
    const b = await h.serve({ services: [StreamsService] });
    const client = h.client({ endpoints: { Streams: [a.address, b.address] }, policy: { balancer: 'round-robin' } });
    for (let i = 0; i < 4; i++) {
      const got: number[] = [];
      for await (const n of client.proxy(StreamsService).range(3)) got.push(n);
      expect(got).toEqual([0, 1, 2]);
    }
    expect(refused).toBeGreaterThan(0);
    expect(a.app.get(StreamsService).log.calls).toBe(0);
  });

  it('never retries a stream after its first message arrived, even for an idempotent method', async () => {
    const a = await h.serve({ services: [StreamsService] });
    const client = h.client({ policy: { methods: { dropAfter: { idempotent: true, retry: { maxAttempts: 3, retryOn: ['UNAVAILABLE'] } } } } });
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const n of client.proxy(StreamsService).dropAfter(2)) got.push(n);
      })(),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(got).toEqual([0, 1]);
    expect(a.app.get(StreamsService).log.calls).toBe(1);
  });

  it('on close, refuses new streams, lets open ones run for drainTimeoutMs, then ends them UNAVAILABLE', async () => {
    const a = await h.serve({ services: [StreamsService] });
    const client = h.client();
    const svc = a.app.get(StreamsService);
    const open = client.stream('Streams', 'ticks', [20]);
    const got: number[] = [];
    const outcome = (async () => {
      for await (const n of open) got.push(n as number);
    })();
    await until(() => got.length >= 2);
    const closing = a.app.close({ drainTimeoutMs: 300 });
    await new Promise((r) => setTimeout(r, 50));
    await expect(
      (async () => {
        for await (const _ of client.stream('Streams', 'range', [1])) void _;
      })(),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const before = got.length;
    await expect(outcome).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'SERVER_SHUTDOWN' } });
    expect(got.length).toBeGreaterThan(before);
    await closing;
    expect(svc.log.finallyRan).toBe(1);
  });

  it('refuses streams past maxStreamsPerConnection with RESOURCE_EXHAUSTED (TOO_MANY_STREAMS)', async () => {
    await h.serve({ services: [StreamsService], limits: { maxStreamsPerConnection: 2 } });
    const client = h.client({ policy: { retry: false } });
    const first = client.stream('Streams', 'endless', []);
    const second = client.stream('Streams', 'endless', []);
    await first[Symbol.asyncIterator]().next();
    await second[Symbol.asyncIterator]().next();
    await expect(
      (async () => {
        for await (const _ of client.stream('Streams', 'endless', [])) void _;
      })(),
    ).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { reason: 'TOO_MANY_STREAMS' } });
    first.cancel();
    second.cancel();
  });
});
