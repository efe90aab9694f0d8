import type { Logger } from 'pino';
import type { Client, RpcError } from '../../../src';
import type { ChildApp } from '../../fixtures/cluster/child-app';
import { etcdCluster, whoami } from '../../fixtures/cluster/etcd-cluster';
import { Load } from '../../fixtures/cluster/load';
import { waitFor } from '../../helpers/apps';
import { describeEtcd } from '../../helpers/etcd-server';
import { logSink } from '../../helpers/log-sink';

// etcd is SIGKILLed under a cluster that is serving calls, then restarted on the same ports and
// data directory. Neither the clients nor the servers may notice beyond a log line.

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describeEtcd('a cluster through an etcd outage', () => {
  const harness = etcdCluster();
  const { registry } = harness;
  const client = (logger?: Logger): Client => harness.client({ policy: { balancer: 'round-robin' } }, logger);
  const apps = (labels: string[], ttlSeconds: number): Promise<ChildApp[]> => Promise.all(labels.map((label) => harness.app({ label, log: true }, ttlSeconds)));
  const logged = (child: ChildApp, msg: string): number => child.stderrLines.filter((l) => l.includes(`"msg":"${msg}`)).length;

  it('keeps calling the last known instances, with no failed call, while etcd is killed and restarted', async () => {
    await apps(['a', 'b', 'c'], 5);
    const { logger, lines } = logSink();
    const c = client(logger);
    await waitFor(() => c.endpoints('Fixture').length === 3, 2_000, 'the client to see three instances');
    const load = new Load(6, whoami(c), 2);
    let downAt = 0;
    let upAt = 0;
    try {
      await sleep(300);
      await harness.etcd.kill();
      downAt = Date.now();
      await waitFor(() => lines.some((l) => l.msg.startsWith('etcd unreachable')), 3_000, 'the client to notice the outage');
      await sleep(1_500);
      // A busy machine runs fewer calls: keep etcd down until each instance has served its share
      // (checked below), but no longer than 4 s, well inside the instances' 5 s leases.
      const served = (): number => Math.min(...['a', 'b', 'c'].map((l) => load.spread(downAt, Infinity)[l] ?? 0));
      while (served() <= 50 && Date.now() - downAt < 4_000) await sleep(50);
      await harness.etcd.restart();
      upAt = Date.now();
      await waitFor(() => lines.some((l) => l.msg === 'etcd reachable again'), 3_000, 'the client to see etcd again');
      await sleep(300);
    } finally {
      await load.stop();
    }
    expect(load.failures.map((r) => (r.error as RpcError).message)).toEqual([]);
    // Every instance kept its share during the outage.
    const during = load.spread(downAt, upAt);
    expect(Object.keys(during).sort()).toEqual(['a', 'b', 'c']);
    expect(Math.min(...Object.values(during))).toBeGreaterThan(50);
    // Logged once, not once per retry.
    expect(lines.filter((l) => l.msg.startsWith('etcd unreachable'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'etcd reachable again')).toHaveLength(1);
    expect(c.endpoints('Fixture')).toHaveLength(3);
  });

  it('registers every instance again after etcd was down longer than the TTL, and a new client finds them', async () => {
    const ttlSeconds = 2;
    const cluster = await apps(['a', 'b', 'c'], ttlSeconds);
    const c = client();
    await waitFor(() => c.endpoints('Fixture').length === 3, 2_000, 'the client to see three instances');
    const load = new Load(3, whoami(c), 5);
    let backAfterMs = 0;
    try {
      await harness.etcd.kill();
      // The etcd3 client declares a lease lost after 2 × TTL without a keepalive.
      await waitFor(() => cluster.every((a) => logged(a, 'etcd lease lost') === 1), 2 * ttlSeconds * 1_000 + 3_000, 'every app to lose its lease');
      await harness.etcd.restart();
      const restartedAt = Date.now();
      const reader = registry();
      await waitFor(async () => (await reader.resolve('Fixture').catch(() => [])).length === 3, 5_000, 'all three instances to be listed again');
      backAfterMs = Date.now() - restartedAt;
      // The old leases run out on the restarted etcd (it renewed them for one TTL); the new
      // registrations must outlive them.
      await sleep(ttlSeconds * 1_000 + 1_000);
      expect(await reader.resolve('Fixture')).toHaveLength(3);
    } finally {
      await load.stop();
    }
    expect(backAfterMs).toBeLessThan(3_000);
    expect(load.failures).toEqual([]);
    for (const a of cluster) expect(logged(a, 'etcd registrations restored on a new lease')).toBe(1);

    const fresh = client();
    const labels = new Set<string>();
    for (let i = 0; i < 6; i++) labels.add(await whoami(fresh)());
    expect(labels).toEqual(new Set(['a', 'b', 'c']));
  });
});
