import * as path from 'node:path';
import { createClient, isRpcError, type Client } from '../../src';
import { type ChildServer, startChildServer, stopChildServer } from '../helpers/child-server-process';

// The server runs in its own process (compiled dist/, built by `npm test`), so the load generator
// here and the server do not share an event loop, as in production.
const OVERLOAD_SERVER = path.join(__dirname, '..', 'fixtures', 'overload-server.js');
const BURN_MS = 2;

function start(admission?: unknown): Promise<ChildServer> {
  return startChildServer(0, OVERLOAD_SERVER, admission === undefined ? [] : [JSON.stringify(admission)]);
}

interface Outcome {
  ok: boolean;
  code: string;
  latencyMs: number;
}

/** Closed loop, `workers` at a time, for `ms`: what the server can do, in calls per second. */
async function measureCapacity(client: Client, ms: number, workers = 4): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        await client.invoke('Burner', 'burn', [BURN_MS, Date.now() + 5_000], { timeoutMs: 5_000 });
        done++;
      }
    }),
  );
  return done / (ms / 1000);
}

/**
 * Open-loop Poisson arrivals at `ratePerS` for `ms` (a closed loop slows down with the server and
 * cannot overload it), each call with `deadlineMs`. Every call settles; resolves with their outcomes.
 */
async function openLoop(client: Client, ratePerS: number, ms: number, deadlineMs: number): Promise<Outcome[]> {
  const calls: Array<Promise<Outcome>> = [];
  const started = performance.now();
  let next = started;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (next <= now && next - started < ms) {
        const sentAt = performance.now();
        calls.push(
          client.invoke('Burner', 'burn', [BURN_MS, Date.now() + deadlineMs], { timeoutMs: deadlineMs }).then(
            () => ({ ok: true, code: 'OK', latencyMs: performance.now() - sentAt }),
            (err: unknown) => ({ ok: false, code: isRpcError(err) ? err.code : String(err), latencyMs: performance.now() - sentAt }),
          ),
        );
        next += (-Math.log(1 - Math.random()) * 1000) / ratePerS;
      }
      if (next - started >= ms) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  return Promise.all(calls);
}

// Both tests measure a server against its own capacity on a shared two-core machine, which CI also
// runs beside a CPU burner: one more try, with the first failure logged, keeps a scheduling accident
// from failing the run, while admission that misbehaves fails both tries.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

describe('overload protection under a flood (server in its own process)', () => {
  let server: ChildServer | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    if (server !== undefined) await stopChildServer(server);
    client = undefined;
    server = undefined;
  });

  it('keeps goodput near capacity at 3.5x, and no handler starts a call whose deadline has passed', async () => {
    server = await start();
    // No throttle: this measures the server; a throttling client would stop sending most of the flood.
    client = createClient({ logger: false, endpoints: { Burner: [server.address] }, policy: { breaker: false, retry: false, throttle: false } });
    await measureCapacity(client, 300); // warm-up: JIT, connections
    const before = await measureCapacity(client, 1_500);
    const FLOOD_MS = 3_000;
    const outcomes = await openLoop(client, 3.5 * before, FLOOD_MS, 100);
    const goodput = outcomes.filter((o) => o.ok && o.latencyMs <= 100).length / (FLOOD_MS / 1000);
    // The machine is shared: what the server could do may change during the flood. Measure it
    // again after (the flood has been answered by then) and hold goodput to the lower of the two.
    const capacity = Math.min(before, await measureCapacity(client, 1_000));
    const stats = (await client.invoke('Burner', 'stats', [], { timeoutMs: 5_000 })) as { runs: number; lateByServer: number; lateByCaller: number };
    if (process.env.RIVET_TEST_VERBOSE) console.log({ capacity, goodput, stats, codes: [...new Set(outcomes.map((o) => o.code))], okLat: outcomes.filter((o) => o.ok).map((o) => Math.round(o.latencyMs)).sort((a, b) => a - b).filter((_, i, a) => i % Math.ceil(a.length / 10) === 0), errLat: outcomes.filter((o) => !o.ok).map((o) => Math.round(o.latencyMs)).sort((a, b) => a - b).filter((_, i, a) => i % Math.ceil(a.length / 10) === 0) });
    // Without admission goodput falls to a few percent of capacity (docs/overload.md); the bench
    // holds Rivet to 90%. Measured here: 0.45-0.88 of capacity on a shared two-core machine at a
    // load average of 5-6, with the load generator beside the server.
    expect(goodput).toBeGreaterThan(0.4 * capacity);
    // Dead work: by the server's clock, never; by the caller's, which also counts time the request
    // spent in socket buffers while the server's process was descheduled (invisible to it), rarely.
    expect(stats.lateByServer).toBe(0);
    expect(stats.lateByCaller).toBeLessThanOrEqual(Math.ceil(0.1 * stats.runs));
    // What failed was refused, quickly and as not run, rather than left to time out on the client.
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    const codes = new Set(refused.map((o) => o.code));
    for (const c of codes) expect(['RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED']).toContain(c);
  }, 30_000);

  it('sheds nothing at 80% of the capacity it measured first', async () => {
    server = await start();
    client = createClient({ logger: false, endpoints: { Burner: [server.address] }, policy: { breaker: false, retry: false } });
    await measureCapacity(client, 300);
    // The machine is shared (CI runs this beside a CPU burner): what the server can do may fall
    // while the load runs, and then 80% of the first measure is more than it can do, and shedding
    // is right. So capacity is measured again after each run, and a run whose capacity fell by more
    // than 15% under it is tried again, up to three times. A run with steady capacity must shed
    // nothing: admission that sheds at 80% fails every attempt.
    let last: { capacity: number; after: number; failed: string[]; count: number } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const capacity = await measureCapacity(client, 1_500);
      // A 1 s deadline: what is asserted is that admission refuses nothing at this load, not that a
      // busy machine meets a tight deadline (the benchmark measures that with 100 ms).
      const outcomes = await openLoop(client, 0.8 * capacity, 4_000, 1_000);
      const after = await measureCapacity(client, 1_000);
      last = { capacity, after, failed: outcomes.filter((o) => !o.ok).map((o) => o.code), count: outcomes.length };
      if (after >= 0.85 * capacity) break;
    }
    const run = last as { capacity: number; after: number; failed: string[]; count: number };
    expect(run.failed).toEqual([]);
    expect(run.count).toBeGreaterThan(0.8 * run.capacity * 4 * 0.8);
  }, 60_000);
});
