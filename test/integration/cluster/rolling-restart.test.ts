import { Method, Service, type App, type RpcError } from '../../../src';
import { sleep } from '../../fixtures/cluster/labelled-service';
import { Load } from '../../fixtures/cluster/load';
import { Harness, waitFor } from '../../helpers/apps';

// Three instances serve a steady load while each in turn is closed gracefully and replaced.
// Not one call may fail, and no non-idempotent call may run twice.

/** Handler runs per operation id, across every instance. */
const runs = new Map<string, number>();

function ledgerService(label: string): Function {
  @Service('Ledger')
  class LedgerService {
    /** Not idempotent: it must run exactly once per id, whatever the client does. */
    @Method()
    async record(id: string): Promise<string> {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      await sleep(workMs());
      return label;
    }

    @Method({ idempotent: true })
    async read(): Promise<string> {
      await sleep(workMs());
      return label;
    }
  }
  return LedgerService;
}

/** 2–12 ms of work, so that calls are in flight whenever an instance starts to drain. */
function workMs(): number {
  return 2 + Math.floor(Math.random() * 10);
}

describe('a rolling restart', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('replaces every instance, twice, under 20 calls in flight without failing a call or running a non-idempotent call twice', async () => {
    runs.clear();
    const serve = async (label: string): Promise<App> => (await h.serve({ services: [ledgerService(label)] })).app;
    const live = [await serve('a1'), await serve('b1'), await serve('c1')];
    const client = h.client();
    const ledger = client.proxy<{ record(id: string): Promise<string>; read(): Promise<string> }>('Ledger');

    const recorded: string[] = [];
    const writes = new Load(10, (n) => {
      const id = `op-${n}`;
      recorded.push(id);
      return ledger.record(id);
    });
    const reads = new Load(10, () => ledger.read());
    // Waits on what the load saw, not on the clock: a busy machine runs fewer calls per ms.
    const servedBy = (label: string) => waitFor(() => [...writes.records, ...reads.records].some((r) => r.label === label), 10_000, `${label} to serve a call`);
    try {
      for (const label of ['a1', 'b1', 'c1']) await servedBy(label);
      // Two full rounds: each of the three slots is replaced twice.
      for (const generation of [2, 3]) {
        for (const [i, slot] of ['a', 'b', 'c'].entries()) {
          // The replacement starts first, so capacity never drops below three; then the old one goes.
          const replacement = await serve(`${slot}${generation}`);
          // The client has found it once it has served a call.
          await servedBy(`${slot}${generation}`);
          await live[i].close({ drainTimeoutMs: 5_000 });
          live[i] = replacement;
          await sleep(50);
        }
      }
    } finally {
      await Promise.all([writes.stop(), reads.stop()]);
    }

    const failures = [...writes.failures, ...reads.failures].map((r) => `${(r.error as RpcError).code}: ${(r.error as RpcError).message}`);
    expect(failures).toEqual([]);
    // Every write ran exactly once, on some instance.
    const twice = [...runs].filter(([, n]) => n !== 1);
    expect(twice).toEqual([]);
    expect(runs.size).toBe(recorded.length);
    // The load really ran through the restart: every old and new instance served.
    const served = new Set([...writes.records, ...reads.records].map((r) => r.label));
    expect(served).toEqual(new Set(['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3', 'b3', 'c3']));
    // And it kept flowing (a floor any machine meets: a loaded one did ~330 in the run, an idle one 400+).
    expect(writes.records.length).toBeGreaterThan(100);
  });
});
