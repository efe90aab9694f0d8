import pino from 'pino';
import { ChannelPool } from '../../../src/client/connection/channel-pool';
import { EndpointHealthTable } from '../../../src/client/routing/endpoint-health';
import { TargetTransports } from '../../../src/client/connection/target-transports';
import { type Instance, InstanceCache, MemoryRegistry } from '../../../src/discovery';
import { resolveBreakerPolicy } from '../../../src/resilience';
import { TcpTransport } from '../../../src/transport';
import { testCerts } from '../../helpers/certs';

const instance = (port: number): Instance => ({ id: `i${port}`, service: 'Svc', host: '127.0.0.1', port, weight: 1, metadata: {} });

function table(): { registry: MemoryRegistry; cache: InstanceCache; pool: ChannelPool; health: EndpointHealthTable; removed: string[] } {
  const registry = new MemoryRegistry();
  const cache = new InstanceCache(registry);
  const pool = new ChannelPool({ transport: new TcpTransport(), codecs: ['msgpack'], maxFrameBytes: 1024, connectTimeoutMs: 1000, logger: pino({ level: 'silent' }), keepalive: false });
  const removed: string[] = [];
  const health = new EndpointHealthTable(cache, pool, () => undefined, (e) => removed.push(`${e.service} ${e.endpoint}`));
  return { registry, cache, pool, health, removed };
}

describe('EndpointHealthTable', () => {
  it('gives every proxy of a service one record per address, and one breaker per breaker policy', () => {
    const { health, cache } = table();
    const a = health.health('Svc', '127.0.0.1:1');
    expect(health.health('Svc', '127.0.0.1:1')).toBe(a);
    expect(health.health('Other', '127.0.0.1:1')).not.toBe(a);
    const policy = resolveBreakerPolicy({ volumeThreshold: 3 });
    const same = resolveBreakerPolicy({ volumeThreshold: 3 });
    expect(health.breakers(policy)).toBe(health.breakers(same));
    expect(health.breakers(resolveBreakerPolicy({ volumeThreshold: 4 }))).not.toBe(health.breakers(policy));
    expect(health.circuit(a, health.breakers(policy))).toBe(health.circuit(a, health.breakers(same)));
    health.close();
    cache.close();
  });

  it('drops the record, breakers and channel of an instance that left the set, and says so', async () => {
    const { registry, cache, pool, health, removed } = table();
    await registry.register(instance(1));
    await registry.register(instance(2));
    await cache.load('Svc');
    const gone = health.health('Svc', '127.0.0.1:1');
    const breakers = health.breakers(resolveBreakerPolicy({}));
    health.circuit(gone, breakers);
    health.health('Svc', '127.0.0.1:2');
    pool.channelFor(instance(1));
    pool.channelFor(instance(2));
    expect(pool.size).toBe(2);
    expect(breakers.size).toBe(1);

    await registry.deregister(instance(1));
    expect(removed).toEqual(['Svc 127.0.0.1:1']);
    expect(breakers.size).toBe(0);
    expect(pool.size).toBe(1);
    expect(health.health('Svc', '127.0.0.1:1')).not.toBe(gone);
    health.close();
    cache.close();
    await pool.close();
  });
});

describe('TargetTransports', () => {
  it('shares a transport between equal TLS settings and keeps different ones apart', async () => {
    const certs = await testCerts();
    const t = new TargetTransports();
    const a = t.get({ ca: certs.ca }, 'tls');
    expect(t.get({ ca: certs.ca }, 'tls')).toBe(a);
    expect(t.get({ ca: Buffer.from(certs.ca) }, 'tls')).toBe(a);
    const b = t.get({ ca: certs.ca, cert: certs.alice.cert, key: certs.alice.key }, 'tls');
    expect(b).not.toBe(a);
    expect(b.id).not.toBe(a.id);
    expect(a.id).toBeGreaterThan(0);
  });

  it('throws RivetConfigError naming the option for bad settings', () => {
    expect(() => new TargetTransports().get({ cert: 'x' }, 'policy of "Vault".tls')).toThrow(expect.objectContaining({ name: 'RivetConfigError', message: expect.stringContaining('policy of "Vault".tls') }));
  });
});
