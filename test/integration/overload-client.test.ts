import * as path from 'node:path';
import { createClient, isRpcError, Method, RpcError, Service, type Client } from '../../src';
import { Harness } from '../helpers/apps';
import { type ChildServer, startChildServer, stopChildServer } from '../helpers/child-server-process';

// Servers in their own processes (compiled dist/, built by `npm test`).
const OVERLOAD_SERVER = path.join(__dirname, '..', 'fixtures', 'overload-server.js');

function start(admission: unknown, burnFactor = 1): Promise<ChildServer> {
  return startChildServer(0, OVERLOAD_SERVER, [admission === undefined ? '' : JSON.stringify(admission), String(burnFactor)]);
}

interface Stats {
  runs: number;
  holds: number;
  pid: number;
}

/**
 * Answers every call as an overloaded server's shed does (reason OVERLOADED, `retryAfterMs`).
 * A handler's error counts as processed, so the method is idempotent for the retry to be allowed.
 */
@Service('Shedding')
class SheddingService {
  runs = 0;

  @Method({ idempotent: true })
  work(retryAfterMs = 0): string {
    this.runs++;
    throw new RpcError('RESOURCE_EXHAUSTED', 'overloaded', { reason: 'OVERLOADED', retryAfterMs });
  }
}

describe('overload protection, client side', () => {
  const servers: ChildServer[] = [];
  const clients: Client[] = [];
  const h = new Harness();
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => stopChildServer(s)));
    await h.close();
  });

  it('retries a shed call on another instance, at once and for a method that is not idempotent, and it succeeds', async () => {
    const busy = await start({ limit: 1, maxQueueMs: 5 });
    const calm = await start(undefined);
    servers.push(busy, calm);
    // One client holds the busy instance's only slot...
    const holder = createClient({ logger: false, endpoints: { Burner: [busy.address] }, policy: { retry: false, breaker: false } });
    const both = createClient({ logger: false, endpoints: { Burner: [busy.address, calm.address] }, policy: { balancer: 'round-robin', breaker: false } });
    clients.push(holder, both);
    const held = holder.invoke('Burner', 'hold', [1_500], { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 100));
    // ...so calls the other client sends there wait past maxQueueMs, are shed, and go to the calm one.
    const pids = await Promise.all(Array.from({ length: 10 }, () => both.invoke('Burner', 'hold', [1], { timeoutMs: 1_000 }) as Promise<number>));
    const calmStats = (await both.invoke('Burner', 'stats', [], { timeoutMs: 5_000 })) as Stats;
    await held;
    const busyStats = (await holder.invoke('Burner', 'stats', [], { timeoutMs: 5_000 })) as Stats;
    expect(pids.every((p) => p === calmStats.pid || p === busyStats.pid)).toBe(true);
    // The busy instance ran only the held call; everything else succeeded on the calm one.
    expect(busyStats.holds).toBe(1);
    expect(pids.filter((p) => p === calmStats.pid)).toHaveLength(10);
    // Those were retries, charged to the retry budget.
    const budget = both.stats().retryBudget.find((b) => b.service === 'Burner');
    expect(budget?.retries).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('sends a slow instance less traffic before it has to shed anything', async () => {
    // Slow by waiting, not by burning CPU: 2 ms against 20 ms per call stays the difference the
    // balancer sees even when other processes hold both cores (CPU-bound slowness drowns in the
    // scheduler's noise on a loaded machine, and the two servers then look alike).
    const slow = await start(undefined, 10);
    const fast = await start(undefined, 1);
    servers.push(slow, fast);
    const client = createClient({ logger: false, endpoints: { Burner: [slow.address, fast.address] }, policy: { breaker: false } });
    clients.push(client);
    // 120 calls/s, each holding its server 2 ms (fast) or 20 ms (slow): far under either's capacity.
    const outcomes: Array<Promise<string>> = [];
    for (let i = 0; i < 240; i++) {
      outcomes.push(
        client.invoke('Burner', 'hold', [2], { timeoutMs: 2_000 }).then(
          () => 'OK',
          (err: unknown) => (isRpcError(err) ? err.code : String(err)),
        ),
      );
      await new Promise((r) => setTimeout(r, 8));
    }
    const codes = await Promise.all(outcomes);
    expect(codes.filter((c) => c !== 'OK')).toEqual([]);
    const slowStats = (await startStats(client, slow)) as Stats;
    const fastStats = (await startStats(client, fast)) as Stats;
    expect(slowStats.holds + fastStats.holds).toBe(240);
    expect(slowStats.holds).toBeLessThan(fastStats.holds);
  }, 30_000);

  it('throttles itself toward an endpoint that keeps shedding (K = 2), and sends everything with throttle: false', async () => {
    const { app, address } = await h.serve({ services: [SheddingService] });
    const svc = app.get(SheddingService);
    const throttled = h.client({ endpoints: { Shedding: [address] }, policy: { retry: false, breaker: false, outlierDetection: false } });
    const codes: string[] = [];
    for (let i = 0; i < 200; i++) {
      try {
        await throttled.invoke('Shedding', 'work', [], { timeoutMs: 1_000 });
      } catch (err) {
        const e = err as RpcError;
        codes.push(`${e.code}/${(e.details as { reason?: string } | undefined)?.reason}`);
      }
    }
    expect(codes).toHaveLength(200);
    // P(reject) = (requests - 2 accepts) / (requests + 1) climbs toward 1 as nothing is accepted.
    expect(svc.runs).toBeLessThan(100);
    expect(codes.filter((c) => c === 'RESOURCE_EXHAUSTED/THROTTLED').length).toBe(200 - svc.runs);

    svc.runs = 0;
    const plain = h.client({ endpoints: { Shedding: [address] }, policy: { retry: false, breaker: false, outlierDetection: false, throttle: false } });
    for (let i = 0; i < 50; i++) await plain.invoke('Shedding', 'work', [], { timeoutMs: 1_000 }).catch(() => undefined);
    expect(svc.runs).toBe(50);
  });

  it('stops retrying a shed call when most endpoints are shedding', async () => {
    const a = await h.serve({ services: [SheddingService] });
    const b = await h.serve({ services: [SheddingService] });
    const c = await h.serve({ services: [SheddingService] });
    const client = h.client({
      endpoints: { Shedding: [a.address, b.address, c.address] },
      policy: { retry: { maxAttempts: 5 }, breaker: false, outlierDetection: false, throttle: false },
    });
    // Each sheds with retryAfterMs 1 s: after the first, one of three is shedding and the call goes
    // to another; after the second, two of three are, and retrying would only feed the overload.
    const err = await client.invoke('Shedding', 'work', [1_000], { timeoutMs: 1_000 }).then(
      () => undefined,
      (e: unknown) => e as RpcError,
    );
    expect(err?.code).toBe('RESOURCE_EXHAUSTED');
    expect(err?.stoppedBy).toBe('overloaded');
    const tried = (err?.attempts ?? []).map((x) => x.endpoint);
    expect(tried).toHaveLength(2);
    expect(new Set(tried).size).toBe(2);
    expect(a.app.get(SheddingService).runs + b.app.get(SheddingService).runs + c.app.get(SheddingService).runs).toBe(2);
  });
});

function startStats(client: Client, server: ChildServer): Promise<unknown> {
  const c = createClient({ logger: false, endpoints: { Burner: [server.address] } });
  return c.invoke('Burner', 'stats', [], { timeoutMs: 5_000 }).finally(() => c.close());
}
