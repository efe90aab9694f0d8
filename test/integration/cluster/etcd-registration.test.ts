import { isRpcError, type RpcError } from '../../../src';
import { etcdCluster, whoami } from '../../fixtures/cluster/etcd-cluster';
import { Load } from '../../fixtures/cluster/load';
import { waitFor } from '../../helpers/apps';
import { describeEtcd } from '../../helpers/etcd-server';

// App processes register in a real etcd; clients in this process follow it through EtcdRegistry.

describeEtcd('a cluster registered in etcd', () => {
  const { registry, client, app } = etcdCluster();

  it('drops an app process killed with SIGKILL within TTL + 1 s (TTL 2 s), from etcd and from a watching client', async () => {
    const crashy = await app({ label: 'crashy' });
    const survivor = await app({ label: 'survivor' });
    const c = client({ policy: { balancer: 'round-robin' } });
    const labels = new Set(await Promise.all([0, 1, 2, 3].map(() => whoami(c)())));
    expect(labels).toEqual(new Set(['crashy', 'survivor']));
    expect(c.endpoints('Fixture')).toHaveLength(2);

    const killedAt = Date.now();
    await crashy.kill();
    // Until its lease runs out it is still listed; calls that pick it find the port closed, and
    // are retried on the survivor (they were never sent).
    const meanwhile = await Promise.all([0, 1, 2, 3, 4, 5].map(() => whoami(c)()));
    expect(new Set(meanwhile)).toEqual(new Set(['survivor']));
    expect(c.endpoints('Fixture')).toHaveLength(2);
    await waitFor(() => c.endpoints('Fixture').length === 1, 3_000, 'the watching client to drop the killed instance');
    const watchGoneMs = Date.now() - killedAt;
    const reader = registry();
    expect((await reader.resolve('Fixture')).map((i) => i.port)).toEqual([survivor.port]);
    // Not sooner than the lease allows: etcd, not a connection error, removed it.
    expect(watchGoneMs).toBeGreaterThanOrEqual(1_000);
    expect(watchGoneMs).toBeLessThanOrEqual(3_000);
    expect(c.endpoints('Fixture').map((e) => e.address)).toEqual([survivor.address]);
  });

  it('sends calls to an instance within 1 s of its registering', async () => {
    await app({ label: 'first' });
    const c = client({ policy: { balancer: 'round-robin' } });
    await whoami(c)();
    const load = new Load(4, whoami(c), 5);
    try {
      const second = await app({ label: 'second' });
      await waitFor(() => load.records.some((r) => r.label === 'second'), 2_000, 'a call to reach the new instance');
      const firstAnswer = load.records.filter((r) => r.label === 'second').reduce((min, r) => Math.min(min, r.doneAt), Infinity);
      // From the moment its registration was acknowledged to the first reply it sent.
      expect(firstAnswer - second.registeredAt).toBeLessThan(1_000);
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
  });

  it('stops sending calls to an instance within 1 s of its key leaving etcd, while its process still serves', async () => {
    const doomed = await app({ label: 'doomed' });
    await app({ label: 'kept' });
    const c = client({ policy: { balancer: 'round-robin' } });
    await waitFor(async () => new Set(await Promise.all([0, 1, 2, 3].map(() => whoami(c)()))).size === 2, 2_000, 'calls to reach both');
    const load = new Load(4, whoami(c), 5);
    let removedAt = 0;
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Delete the key as an operator would, leaving the process running: only the watch can tell.
      const admin = registry();
      const [instance] = (await admin.resolve('Fixture')).filter((i) => i.port === doomed.port);
      await admin.deregister(instance);
      removedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    const late = load.records.filter((r) => r.sentAt >= removedAt + 1_000);
    expect(late.length).toBeGreaterThan(20);
    expect(new Set(late.map((r) => r.label))).toEqual(new Set(['kept']));
    expect(load.spread(0, removedAt).doomed).toBeGreaterThan(0);
  });

  it('stops sending calls to an instance that closes, and fails none of them', async () => {
    const leaving = await app({ label: 'leaving' });
    await app({ label: 'staying' });
    const c = client({ policy: { balancer: 'round-robin' } });
    await waitFor(async () => new Set(await Promise.all([0, 1, 2, 3].map(() => whoami(c)()))).size === 2, 2_000, 'calls to reach both');
    const load = new Load(4, whoami(c), 5);
    let stoppingAt = 0;
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      stoppingAt = Date.now();
      await leaving.stop(); // SIGTERM: close() deregisters first, then drains
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    const late = load.records.filter((r) => r.sentAt >= stoppingAt + 1_000);
    expect(late.length).toBeGreaterThan(20);
    expect(new Set(late.map((r) => r.label))).toEqual(new Set(['staying']));
  });

  it('holds a waitForReady call until an instance registers, and fails fast without waitForReady', async () => {
    const patient = client({ policy: { waitForReady: true } });
    const impatient = client();

    const fastStart = Date.now();
    const err = await impatient.invoke('Fixture', 'whoami', [], { timeoutMs: 5_000 }).then(
      () => undefined,
      (e: unknown) => e as RpcError,
    );
    expect(isRpcError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'NO_INSTANCES' } });
    expect(Date.now() - fastStart).toBeLessThan(1_000);

    // Nothing registers in time: the deadline ends the wait.
    await expect(patient.invoke('Fixture', 'whoami', [], { timeoutMs: 300 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });

    const waiting = patient.invoke('Fixture', 'whoami', [], { timeoutMs: 8_000 });
    let answeredAt = 0;
    void waiting.then(() => (answeredAt = Date.now()), () => undefined);
    const late = await app({ label: 'late' });
    await expect(waiting).resolves.toMatchObject({ label: 'late' });
    expect(answeredAt - late.registeredAt).toBeLessThan(1_000);
  });
});
