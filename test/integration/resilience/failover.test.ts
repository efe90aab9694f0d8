import { startChildServer, stopChildServer, type ChildServer } from '../../fixtures/resilience/support';
import { Harness, waitFor } from '../../helpers/apps';

describe('failover when an endpoint process dies', () => {
  const h = new Harness();
  const children: ChildServer[] = [];
  afterEach(async () => {
    await h.close();
    await Promise.all(children.splice(0).map(stopChildServer));
  });

  it('keeps every idempotent call succeeding while one of two server processes is killed mid-run', async () => {
    const [a, b] = await Promise.all([startChildServer(), startChildServer()]);
    children.push(a, b);
    const client = h.client({
      endpoints: { Fixture: [a.address, b.address] },
      policy: { timeoutMs: 2_000, retry: { initialBackoffMs: 5 } },
    });

    const pids: number[] = [];
    const failures: unknown[] = [];
    let stopped = false;
    // Four lanes of calls, each with a little server time, so some are in flight at the kill.
    const lanes = Array.from({ length: 4 }, async (_, lane) => {
      for (let i = 0; !stopped; i++) {
        try {
          const r = (await client.invoke('Fixture', 'behave', [`${lane}-${i}`], { metadata: { 'x-delay-ms': '5' } })) as { pid: number };
          pids.push(r.pid);
        } catch (err) {
          failures.push(err);
        }
      }
    });
    await waitFor(() => new Set(pids).size === 2 && pids.length >= 40, 5_000, 'both processes to serve calls');
    a.child.kill('SIGKILL');
    await a.closed;
    const servedBeforeKill = pids.length;
    await waitFor(() => pids.length >= servedBeforeKill + 100, 5_000, '100 more calls after the kill');
    stopped = true;
    await Promise.all(lanes);

    expect(failures).toEqual([]);
    const afterKill = pids.slice(servedBeforeKill + 10);
    expect(new Set(afterKill)).toEqual(new Set([b.child.pid]));
  });
});
