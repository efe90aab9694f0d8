import { RpcError } from '../../../src/errors';
import { hangUntilAborted, MemoryCluster } from './memory-cluster';

let cluster: MemoryCluster;
beforeEach(() => {
  cluster = new MemoryCluster();
});
afterEach(async () => {
  await cluster.close();
});

const whoAmI = (_ctx: unknown, host: string) => host;
const unavailable = () => {
  throw new RpcError('UNAVAILABLE', 'this instance is sick');
};

async function servedBy(p: Promise<unknown>): Promise<string> {
  try {
    return String(await p);
  } catch (err) {
    return (err as RpcError).code;
  }
}

describe('TargetRouter over the memory transport', () => {
  it('spreads calls over the instances with the balancer it was given, one connection each', async () => {
    await cluster.serve('a', { who: whoAmI });
    await cluster.serve('b', { who: whoAmI });
    const client = cluster.client({ balancer: 'round-robin' });
    const hosts: string[] = [];
    for (let i = 0; i < 8; i++) hosts.push(await servedBy(client.invoke('Peer', 'who')));
    expect(hosts.filter((h) => h === 'a')).toHaveLength(4);
    expect(hosts.filter((h) => h === 'b')).toHaveLength(4);
    expect(cluster.network.links()).toHaveLength(2);
  });

  it('sends a retry to another instance than the one that failed', async () => {
    await cluster.serve('sick', { who: unavailable });
    await cluster.serve('well', { who: whoAmI });
    const client = cluster.client({ balancer: 'round-robin', retry: { maxAttempts: 2, initialBackoffMs: 1 } });
    const results = await Promise.all(Array.from({ length: 6 }, () => servedBy(client.invoke('Peer', 'who'))));
    expect(results).toEqual(Array(6).fill('well'));
    const sick = client.stats().endpoints.find((e) => e.endpoint.startsWith('sick:'));
    expect(sick?.failures).toBeGreaterThan(0);
  });

  it('lists every failed attempt with its endpoint when no instance can answer', async () => {
    const a = await cluster.serve('a', { who: unavailable });
    const b = await cluster.serve('b', { who: unavailable });
    const client = cluster.client({ retry: { maxAttempts: 2, initialBackoffMs: 1 } });
    const err = (await client.invoke('Peer', 'who').catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.attempts?.map((x) => x.endpoint).sort()).toEqual([a.address, b.address].sort());
  });

  it('stops picking an instance that sent DRAIN, with no failed call', async () => {
    const aborted: unknown[] = [];
    const hang = hangUntilAborted(aborted);
    // On a, 'hold' stays in flight (so a's connection stays up while it drains); on b it answers.
    const hold = (ctx: Parameters<typeof hang>[0], host: string) => (host === 'a' ? hang(ctx, host) : host);
    const a = await cluster.serve('a', { who: whoAmI, hold });
    await cluster.serve('b', { who: whoAmI, hold });
    const client = cluster.client({ balancer: 'round-robin', retry: false });
    const held = [client.invoke('Peer', 'hold').catch((e: unknown) => e), client.invoke('Peer', 'hold').catch((e: unknown) => e)];
    expect(await Promise.race([held[0], held[1]])).toBe('b');
    const closing = a.server.close(5_000); // DRAIN to its clients; the held call may finish
    while (client.endpoints('Peer').find((e) => e.address === a.address)?.state !== 'draining') await new Promise((r) => setImmediate(r));
    const hosts: string[] = [];
    for (let i = 0; i < 6; i++) hosts.push(await servedBy(client.invoke('Peer', 'who')));
    expect(hosts).toEqual(Array(6).fill('b'));
    expect(client.stats().endpoints.map((e) => e.failures)).toEqual([0, 0]);
    await client.close();
    await closing;
  });

  it('sheds an instance whose breaker opened, and keeps serving from the others', async () => {
    await cluster.serve('sick', { who: unavailable });
    await cluster.serve('well', { who: whoAmI });
    const client = cluster.client({ balancer: 'round-robin', retry: false, breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } });
    for (let i = 0; i < 6; i++) await servedBy(client.invoke('Peer', 'who'));
    const views = client.endpoints('Peer');
    expect(views.find((v) => v.address.startsWith('sick:'))?.breaker).toBe('open');
    const after: string[] = [];
    for (let i = 0; i < 6; i++) after.push(await servedBy(client.invoke('Peer', 'who')));
    expect(after).toEqual(Array(6).fill('well'));
  });

  it('follows the registry: an instance that joins gets calls, one that leaves gets none', async () => {
    const a = await cluster.serve('a', { who: whoAmI });
    const client = cluster.client({ balancer: 'round-robin' });
    expect(await servedBy(client.invoke('Peer', 'who'))).toBe('a');
    await cluster.serve('b', { who: whoAmI });
    const both = new Set<string>();
    for (let i = 0; i < 4; i++) both.add(await servedBy(client.invoke('Peer', 'who')));
    expect([...both].sort()).toEqual(['a', 'b']);
    await cluster.registry.deregister(a.instance);
    const after: string[] = [];
    for (let i = 0; i < 4; i++) after.push(await servedBy(client.invoke('Peer', 'who')));
    expect(after).toEqual(Array(4).fill('b'));
  });

  it('fails fast as UNAVAILABLE (NO_INSTANCES) when nothing is registered', async () => {
    const client = cluster.client();
    await expect(client.invoke('Peer', 'who')).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'NO_INSTANCES' } });
  });

  it('refuses as NO_READY_ENDPOINT while the only instance is in reconnect backoff', async () => {
    const a = await cluster.serve('a', { who: whoAmI });
    await a.server.stopAccepting(); // registered, but refuses connections
    const client = cluster.client({ retry: false });
    await expect(client.invoke('Peer', 'who')).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'CONNECT_FAILED' } });
    await expect(client.invoke('Peer', 'who')).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'NO_READY_ENDPOINT' } });
  });

  it('with waitForReady, waits within the deadline for an instance to register', async () => {
    const client = cluster.client({ waitForReady: true, timeoutMs: 5_000 });
    const call = client.invoke('Peer', 'who');
    await new Promise((r) => setImmediate(r));
    await cluster.serve('late', { who: whoAmI });
    expect(await call).toBe('late');
  });
});
