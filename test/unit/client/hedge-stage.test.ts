import type { CallContext } from '../../../src/call';
import { RpcError } from '../../../src/errors';
import { hangUntilAborted, MemoryCluster, type PeerHandler } from './memory-cluster';

// Hedge delays run on jest's clock; deliveries (process.nextTick) and promises run as usual.
let cluster: MemoryCluster;
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  cluster = new MemoryCluster();
});
afterEach(async () => {
  await cluster.close();
  jest.useRealTimers();
});

async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

const DELAY_MS = 50;
const hedged = (maxAttempts = 2) => ({ methods: { work: { idempotent: true, hedge: { delayMs: DELAY_MS, maxAttempts } } } });

/** Records which hosts a call reached, with its `rivet-hedge` number; the first attempt hangs, hedges answer. */
function recorder(seen: Array<[string, string | undefined]>, aborted: unknown[]): PeerHandler {
  const hang = hangUntilAborted(aborted);
  return (ctx: CallContext, host: string) => {
    const hedge = ctx.metadata['rivet-hedge'];
    seen.push([host, hedge]);
    return hedge === undefined ? hang(ctx, host) : `${host} (hedge ${hedge})`;
  };
}

describe('hedging over the memory transport', () => {
  it('sends a hedge after delayMs to another instance, takes its answer, and cancels the first attempt', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const aborted: unknown[] = [];
    await cluster.serve('a', { work: recorder(seen, aborted) });
    await cluster.serve('b', { work: recorder(seen, aborted) });
    const client = cluster.client(hedged());
    const call = client.invoke('Peer', 'work');
    await flush();
    expect(seen).toHaveLength(1);
    jest.advanceTimersByTime(DELAY_MS - 1);
    await flush();
    expect(seen).toHaveLength(1); // not a millisecond early
    jest.advanceTimersByTime(1);
    await flush();
    const [first, second] = seen;
    expect(second[1]).toBe('2');
    expect(second[0]).not.toBe(first[0]); // steered away from the endpoint still working on it
    expect(await call).toBe(`${second[0]} (hedge 2)`);
    await flush();
    // The losing attempt was cancelled on its server: its handler's signal aborted with CANCELLED.
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toMatchObject({ code: 'CANCELLED' });
  });

  it('sends no hedge when the first attempt answers within delayMs', async () => {
    const seen: string[] = [];
    await cluster.serve('a', { work: (_ctx, host) => (seen.push(host), host) });
    await cluster.serve('b', { work: (_ctx, host) => (seen.push(host), host) });
    const client = cluster.client(hedged());
    await client.invoke('Peer', 'work');
    jest.advanceTimersByTime(DELAY_MS * 4);
    await flush();
    expect(seen).toHaveLength(1);
  });

  it('ends the call at once on a business error, with no hedge', async () => {
    const seen: string[] = [];
    const refuse: PeerHandler = (_ctx, host) => {
      seen.push(host);
      throw new RpcError('INVALID_ARGUMENT', 'bad order');
    };
    await cluster.serve('a', { work: refuse });
    await cluster.serve('b', { work: refuse });
    const client = cluster.client(hedged(3));
    await expect(client.invoke('Peer', 'work')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    jest.advanceTimersByTime(DELAY_MS * 4);
    await flush();
    expect(seen).toHaveLength(1);
  });

  it('launches the next attempt early when one fails, and fails with every attempt listed when all do', async () => {
    const seen: string[] = [];
    const sick: PeerHandler = (_ctx, host) => {
      seen.push(host);
      throw new RpcError('UNAVAILABLE', 'sick');
    };
    const a = await cluster.serve('a', { work: sick });
    const b = await cluster.serve('b', { work: sick });
    const client = cluster.client(hedged(2));
    // No clock advance at all: the second attempt goes out because the first failed.
    const err = (await client.invoke('Peer', 'work').catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe('UNAVAILABLE');
    expect(seen.sort()).toEqual(['a', 'b']);
    expect(err.attempts?.map((x) => x.endpoint).sort()).toEqual([a.address, b.address].sort());
  });

  it('stops at maxAttempts: with every attempt hanging, the deadline ends the call and cancels them all', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const aborted: unknown[] = [];
    const hang = hangUntilAborted(aborted);
    const record: PeerHandler = (ctx, host) => {
      seen.push([host, ctx.metadata['rivet-hedge']]);
      return hang(ctx, host);
    };
    await cluster.serve('a', { work: record });
    await cluster.serve('b', { work: record });
    await cluster.serve('c', { work: record });
    const client = cluster.client({ timeoutMs: 1_000, ...hedged(2) });
    const call = client.invoke('Peer', 'work').catch((e: unknown) => e);
    for (let t = 0; t < 1_000; t += DELAY_MS) {
      jest.advanceTimersByTime(DELAY_MS);
      await flush(4);
    }
    expect(await call).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(seen.map(([, hedge]) => hedge)).toEqual([undefined, '2']);
    jest.advanceTimersByTime(10);
    await flush();
    expect(aborted).toHaveLength(2);
  });
});
