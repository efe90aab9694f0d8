import type { BalancerSpec, Client, InterceptorFn } from '../../../src';
import { delayBy, labelledService } from '../../fixtures/cluster/labelled-service';
import { Harness, waitFor } from '../../helpers/apps';

// Three apps (four for the hash ring) in this process on one MemoryRegistry, called over real TCP
// on 127.0.0.1. Every reply names the app that served it.

// How much slower the slow instance is. A load-aware balancer keeps about as many calls in flight on
// each instance, so the slow one's share is about fast latency / slow latency: 50 ms was only 10x a
// fast call on an idle machine, and a starved one (fast calls at 10+ ms) reached 10%. 200 ms keeps
// the contrast whatever the load, and a balancer blind to latency still sends it a third.
const SLOW_MS = 200;
// 10,000 calls take 2-5 s on an idle machine and near 30 s (jest's default here) on a starved one;
// the counts, not the time, are what these tests judge.
const SPREAD_TIMEOUT_MS = 120_000;

/** Runs `total` calls with `concurrency` in flight and counts the replies per label. */
async function spread(total: number, concurrency: number, call: (n: number) => Promise<string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const label = await call(next++);
        counts[label] = (counts[label] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

describe('balancers over real TCP', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function cluster(labels: string[], opts: { weights?: number[]; interceptors?: Record<string, InterceptorFn[]> } = {}): Promise<void> {
    for (const [i, label] of labels.entries()) {
      await h.serve({
        services: [labelledService(label)],
        interceptors: opts.interceptors?.[label] ?? [],
        ...(opts.weights ? { advertise: { host: '127.0.0.1', weight: opts.weights[i] } } : {}),
      });
    }
  }

  function whoami(c: Client, balancer: BalancerSpec): (n: number) => Promise<string> {
    const proxy = c.proxy<{ whoami(): Promise<string> }>('Fixture', { balancer });
    return () => proxy.whoami();
  }

  it('round-robin sends each call to the next instance in turn, exactly', async () => {
    await cluster(['a', 'b', 'c']);
    const c = h.client();
    await waitFor(() => c.endpoints('Fixture').length === 3, 1_000, 'the client to see three instances');
    // Connections open lazily, on the first call that picks an endpoint.
    expect(c.endpoints('Fixture').map((e) => e.state)).toEqual(['idle', 'idle', 'idle']);
    const call = whoami(c, 'round-robin');
    const order: string[] = [];
    for (let i = 0; i < 300; i++) order.push(await call(i));
    expect(c.endpoints('Fixture').map((e) => e.state)).toEqual(['ready', 'ready', 'ready']);
    const cycle = order.slice(0, 3);
    expect(new Set(cycle)).toEqual(new Set(['a', 'b', 'c']));
    for (let i = 0; i < order.length; i++) expect(order[i]).toBe(cycle[i % 3]);
  });

  it('weighted sends calls in proportion to the advertised weights 5, 3, 2, within 5% over 10,000 calls', async () => {
    await cluster(['w5', 'w3', 'w2'], { weights: [5, 3, 2] });
    const counts = await spread(10_000, 20, whoami(h.client(), 'weighted'));
    expect(counts.w5 + counts.w3 + counts.w2).toBe(10_000);
    expect(Math.abs(counts.w5 / 10_000 - 0.5)).toBeLessThan(0.05 * 0.5);
    expect(Math.abs(counts.w3 / 10_000 - 0.3)).toBeLessThan(0.05 * 0.3);
    expect(Math.abs(counts.w2 / 10_000 - 0.2)).toBeLessThan(0.05 * 0.2);
  }, SPREAD_TIMEOUT_MS);

  it.each(['least-active', 'p2c-ewma'] as const)('%s sends under 10%% of calls to an instance made 200 ms slower, with 20 in flight', async (balancer) => {
    await cluster(['fast1', 'fast2', 'slow'], { interceptors: { slow: [delayBy(SLOW_MS)] } });
    const counts = await spread(10_000, 20, whoami(h.client(), balancer));
    expect((counts.fast1 ?? 0) + (counts.fast2 ?? 0) + (counts.slow ?? 0)).toBe(10_000);
    expect(counts.slow ?? 0).toBeLessThan(1_000);
    // The slow instance is still tried, not written off.
    expect(counts.slow ?? 0).toBeGreaterThan(0);
  }, SPREAD_TIMEOUT_MS);

  it('consistent-hash sends a key to the same instance every time, and moves about 1/4 of keys to a 4th instance', async () => {
    await cluster(['a', 'b', 'c']);
    const c = h.client();
    const proxy = c.proxy<{ behave(key: string): Promise<{ key: string; label: string }> }>('Fixture', {
      balancer: { consistentHash: (ctx) => ctx.metadata['x-key'] ?? (ctx.args[0] as string) },
    });
    const keys = Array.from({ length: 1_000 }, (_, i) => `user-${i}`);
    const place = async (): Promise<Map<string, string>> => {
      const placed = new Map<string, string>();
      // One call at a time: with nothing in flight, the load bound never diverts a key.
      for (const key of keys) placed.set(key, (await proxy.behave(key)).label);
      return placed;
    };
    const before = await place();
    expect(await place()).toEqual(before);
    const shares = [...before.values()].reduce<Record<string, number>>((acc, l) => ({ ...acc, [l]: (acc[l] ?? 0) + 1 }), {});
    for (const label of ['a', 'b', 'c']) expect(shares[label]).toBeGreaterThan(keys.length / 6);

    await cluster(['d']);
    const after = await place();
    const moved = keys.filter((k) => after.get(k) !== before.get(k));
    // Only keys that now hash to the newcomer move, about 1/N of them.
    expect(new Set(moved.map((k) => after.get(k)))).toEqual(new Set(['d']));
    expect(moved.length / keys.length).toBeGreaterThan(0.15);
    expect(moved.length / keys.length).toBeLessThan(0.35);
  });
});
