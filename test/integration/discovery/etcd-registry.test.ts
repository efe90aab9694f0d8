import { spawn } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import type { Instance } from '../../../src/discovery';
import { EtcdRegistry } from '../../../src/discovery/etcd';
import { RivetConfigError } from '../../../src/errors';
import { waitFor } from '../../helpers/apps';
import { describeEtcd, startEtcd, type EtcdServer } from '../../helpers/etcd-server';
import { logSink } from '../../helpers/log-sink';

let prefixCounter = 0;
function uniquePrefix(): string {
  return `/rivet-test/${process.pid}-${++prefixCounter}`;
}

function instance(id: string, port: number, service = 'Arith'): Instance {
  return { id, service, host: '127.0.0.1', port, weight: 1, metadata: { zone: 'a' } };
}

/** Records every set a watcher is given. */
function recorder(): { sets: Instance[][]; cb: (instances: Instance[]) => void; last: () => string[] } {
  const sets: Instance[][] = [];
  return {
    sets,
    cb: (instances) => sets.push(instances),
    last: () => (sets.at(-1) ?? []).map((i) => i.id),
  };
}

describe('EtcdRegistry options', () => {
  const ok = { endpoints: ['http://127.0.0.1:2379'] };
  it.each([
    [{ endpoints: [] }, /EtcdRegistry\.endpoints must be a non-empty array/],
    [{ endpoints: ['127.0.0.1:2379'] }, /EtcdRegistry\.endpoints\[0\] must be a URL with scheme and port/],
    [{ endpoints: ['http://127.0.0.1'] }, /EtcdRegistry\.endpoints\[0\]/],
    [{ endpoints: ['http://a:1', 'https://b:2'] }, /mixes http:\/\/ and https:\/\//],
    [{ ...ok, ttlSeconds: 1 }, /ttlSeconds must be at least 2/],
    [{ ...ok, ttlSeconds: 2.5 }, /ttlSeconds must be a positive integer/],
    [{ ...ok, ttlSecond: 5 }, /unknown key 'ttlSecond'; did you mean 'ttlSeconds'\?/],
    [{ ...ok, tls: { ca: 'x' } }, /tls is set but the endpoints use http:\/\//],
    [{ endpoints: ['https://a:1'], tls: { cert: 'x' } }, /both cert and key/],
    [{ ...ok, auth: { username: 'u' } }, /auth\.password must be a non-empty string/],
  ])('rejects %j at construction', (options, message) => {
    expect(() => new EtcdRegistry(options as never)).toThrow(RivetConfigError);
    expect(() => new EtcdRegistry(options as never)).toThrow(message);
  });

  it('refuses an instance it could not read back, and a service name with a slash, before any etcd call', async () => {
    const r = new EtcdRegistry(ok);
    try {
      await expect(r.register({ ...instance('a', 4001), port: 0 })).rejects.toThrow(/RIVET_ERR_INVALID_OPTION: cannot register/);
      expect(() => r.watch('Arith/v2', () => undefined)).toThrow(/without '\/'/);
    } finally {
      await r.close();
    }
  });
});

// One etcd for both groups; the outage group runs last, as it kills and restarts it.
describeEtcd('EtcdRegistry', () => {
  let etcd: EtcdServer;
  let raw: Etcd3;
  let prefix: string;
  const opened: EtcdRegistry[] = [];
  const registry = (extra: { ttlSeconds?: number; logger?: Logger } = {}): EtcdRegistry => {
    const r = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix, ...extra });
    opened.push(r);
    return r;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    raw = new Etcd3({ hosts: etcd.endpoint });
  });
  afterAll(async () => {
    raw?.close();
    await etcd?.stop();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((r) => r.close()));
  });

  describe('on a real etcd', () => {
    it('stores a registered instance as JSON under <prefix>/<service>/<id> and resolves it', async () => {
      const r = registry();
      const a = instance('a', 4001);
      await r.register(a);
      expect(JSON.parse((await raw.get(`${prefix}/Arith/a`).string()) ?? 'null')).toEqual(a);
      expect(await raw.get(`${prefix}/Arith/a`).exec().then((res) => res.kvs[0].lease)).not.toBe('0');
      expect(await r.resolve('Arith')).toEqual([a]);
      expect(await r.resolve('Other')).toEqual([]);
    });

    it('removes a deregistered instance, and deregistering again resolves', async () => {
      const r = registry();
      await r.register(instance('a', 4001));
      await r.register(instance('b', 4002));
      await r.deregister(instance('a', 4001));
      await r.deregister(instance('a', 4001));
      expect((await r.resolve('Arith')).map((i) => i.id)).toEqual(['b']);
      expect(await raw.get(`${prefix}/Arith/a`).string()).toBeNull();
    });

    it('gives every watcher the complete set within 1 s of each register and deregister', async () => {
      const server = registry();
      const client = registry();
      const w1 = recorder();
      const w2 = recorder();
      const stop1 = client.watch('Arith', w1.cb);
      client.watch('Arith', w2.cb);
      await waitFor(() => w1.sets.length === 1 && w2.sets.length === 1, 1_000, 'the initial (empty) set');
      expect(w1.sets[0]).toEqual([]);

      await server.register(instance('a', 4001));
      await waitFor(() => w1.last().join() === 'a', 1_000, 'watcher to see a');
      await server.register(instance('b', 4002));
      await waitFor(() => w1.last().join() === 'a,b' && w2.last().join() === 'a,b', 1_000, 'both watchers to see a,b');

      stop1();
      await server.deregister(instance('a', 4001));
      await waitFor(() => w2.last().join() === 'b', 1_000, 'the remaining watcher to see b');
      expect(w1.last()).toEqual(['a', 'b']);
      // Each call carried a complete set, never a delta.
      expect(w2.sets.map((s) => s.map((i) => i.id).join())).toEqual(['', 'a', 'a,b', 'b']);
    });

    it('gives a watcher that joins later the current set', async () => {
      const server = registry();
      await server.register(instance('a', 4001));
      const client = registry();
      const first = recorder();
      client.watch('Arith', first.cb);
      await waitFor(() => first.last().join() === 'a', 1_000, 'the first watcher');
      const late = recorder();
      client.watch('Arith', late.cb);
      await waitFor(() => late.last().join() === 'a', 1_000, 'the late watcher');
    });

    it('skips malformed values and warns once per key', async () => {
      const { logger, lines } = logSink();
      const r = registry({ logger });
      await r.register(instance('a', 4001));
      await raw.put(`${prefix}/Arith/bad`).value('{not json');
      await raw.put(`${prefix}/Arith/wrong`).value(JSON.stringify({ ...instance('wrong', 1), service: 'Other' }));
      expect((await r.resolve('Arith')).map((i) => i.id)).toEqual(['a']);
      expect((await r.resolve('Arith')).map((i) => i.id)).toEqual(['a']);
      const warned = lines.filter((l) => l.msg === 'skipping malformed instance in etcd');
      expect(warned).toHaveLength(2);
    });

    it('drops an instance whose process was killed within TTL + 1 s', async () => {
      const ttlSeconds = 2;
      const key = `${prefix}/Arith/crashy`;
      // The child writes the way an EtcdRegistry does (a key on a kept-alive lease), with the
      // repo's etcd3, then is SIGKILLed: nothing deregisters it, so only the lease can.
      const script = `
        const { Etcd3 } = require(process.env.ETCD3_MAIN);
        const lease = new Etcd3({ hosts: process.env.ETCD_ENDPOINT }).lease(${ttlSeconds});
        lease.put(process.env.KEY).value(process.env.VALUE)
          .then(() => process.stdout.write('ready\\n'), (err) => { console.error(err); process.exit(1); });`;
      const child = spawn(process.execPath, ['-e', script], {
        env: {
          ...process.env,
          ETCD3_MAIN: require.resolve('etcd3'),
          ETCD_ENDPOINT: etcd.endpoint,
          KEY: key,
          VALUE: JSON.stringify(instance('crashy', 4009)),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        await waitFor(() => out.includes('ready'), 5_000, 'the child to register');
        const r = registry();
        expect((await r.resolve('Arith')).map((i) => i.id)).toEqual(['crashy']);

        child.kill('SIGKILL');
        await exited;
        const goneAfterMs = await waitFor(async () => (await r.resolve('Arith')).length === 0, ttlSeconds * 1_000 + 1_000, 'the lease to expire');
        expect(goneAfterMs).toBeLessThanOrEqual(ttlSeconds * 1_000 + 1_000);
      } finally {
        child.kill('SIGKILL');
        await exited;
        child.stdout.destroy();
      }
    });

    it('revokes its lease on close(), which is idempotent, and refuses use afterwards', async () => {
      const r = registry();
      await r.register(instance('a', 4001));
      const watcher = recorder();
      r.watch('Arith', watcher.cb);
      await waitFor(() => watcher.sets.length > 0, 1_000, 'the first set');
      const started = Date.now();
      await Promise.all([r.close(), r.close()]);
      await r.close();
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(await raw.get(`${prefix}/Arith/a`).string()).toBeNull();
      await expect(r.register(instance('b', 4002))).rejects.toThrow(/RIVET_ERR_STATE/);
      expect(() => r.watch('Arith', () => undefined)).toThrow(/RIVET_ERR_STATE/);
      await expect(r.deregister(instance('a', 4001))).resolves.toBeUndefined();
    });
  });

  describe('through an etcd outage', () => {
    const leaseOf = async (key: string): Promise<string | null> => {
      const res = await raw.get(key).exec();
      return res.kvs[0]?.lease ?? null;
    };

    it('keeps watchers on their last set, logs the outage once, and resumes after etcd restarts', async () => {
      const server = registry({ ttlSeconds: 5 });
      const { logger, lines } = logSink();
      const client = registry({ logger });
      await server.register(instance('a', 4001));
      const watcher = recorder();
      client.watch('Arith', watcher.cb);
      await waitFor(() => watcher.last().join() === 'a', 1_000, 'the watcher to see a');

      await etcd.kill();
      await waitFor(() => lines.some((l) => l.msg.startsWith('etcd unreachable')), 3_000, 'the outage to be noticed');
      await expect(client.resolve('Arith')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      // Hold the outage long enough for several watch reconnect attempts to fail.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(watcher.last()).toEqual(['a']);

      await etcd.restart();
      await waitFor(async () => (await leaseOf(`${prefix}/Arith/a`)) !== null, 3_000, 'the registration after restart');
      await waitFor(() => lines.some((l) => l.msg === 'etcd reachable again'), 3_000, 'the watch to reconnect');
      // The watch follows changes again.
      await server.register(instance('b', 4002));
      await waitFor(() => watcher.last().join() === 'a,b', 1_000, 'the watcher to see b after the outage');

      expect(watcher.sets.some((s) => s.length === 0)).toBe(false);
      expect(lines.filter((l) => l.msg.startsWith('etcd unreachable'))).toHaveLength(1);
    });

    it('delivers the set to a watch that was started while etcd was down, once etcd is back', async () => {
      const server = registry();
      await server.register(instance('a', 4001));
      await etcd.kill();
      const { logger, lines } = logSink();
      const client = registry({ logger });
      const watcher = recorder();
      client.watch('Arith', watcher.cb);
      await waitFor(() => lines.some((l) => l.msg.startsWith('etcd unreachable')), 3_000, 'the outage to be noticed');
      expect(watcher.sets).toEqual([]);
      await expect(client.register(instance('b', 4002))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await etcd.restart();
      await waitFor(() => watcher.last().join() === 'a', 3_000, 'the set after etcd is back');
      expect(watcher.sets).toHaveLength(1);
      // The failed register() kept nothing, and its never-granted lease is not reported as lost.
      expect((await client.resolve('Arith')).map((i) => i.id)).toEqual(['a']);
      expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^etcd unreachable/), 'etcd reachable again']);
    });

    it('closes within about 1 s while etcd is down', async () => {
      const r = registry({ ttlSeconds: 2 });
      await r.register(instance('a', 4001));
      r.watch('Arith', () => undefined);
      await etcd.kill();
      const started = Date.now();
      await r.close();
      expect(Date.now() - started).toBeLessThan(1_500);
      await etcd.restart(); // for the tests after this one; the key expires with the unrevoked lease
    });

    it('registers again on a new lease when the lease expired during a longer outage', async () => {
      const { logger, lines } = logSink();
      const server = registry({ ttlSeconds: 2, logger });
      const client = registry();
      const key = `${prefix}/Arith/a`;
      await server.register(instance('a', 4001));
      const watcher = recorder();
      client.watch('Arith', watcher.cb);
      await waitFor(() => watcher.last().join() === 'a', 1_000, 'the watcher to see a');
      const oldLease = await leaseOf(key);

      await etcd.kill();
      // etcd3 declares the lease lost after 2 × TTL without a keepalive: that is the 4 s outage.
      await waitFor(() => lines.some((l) => l.msg.startsWith('etcd lease lost')), 6_000, 'the lease to be declared lost');
      await etcd.restart();
      const backAfterMs = await waitFor(
        async () => {
          const lease = await leaseOf(key).catch(() => null);
          return lease !== null && lease !== oldLease;
        },
        3_000,
        'the registration on a new lease',
      );
      // The old lease runs out on the restarted etcd; the key must outlive it.
      await waitFor(
        async () => (await raw.leaseClient.leaseTimeToLive({ ID: oldLease ?? '0' })).TTL === '-1',
        4_000,
        'the old lease to expire',
      );
      expect(await leaseOf(key)).not.toBeNull();
      expect(watcher.last()).toEqual(['a']);
      expect(watcher.sets.some((set) => set.length === 0)).toBe(false);
      expect(backAfterMs).toBeLessThan(3_000);
      expect(lines.filter((l) => l.msg === 'etcd registrations restored on a new lease')).toHaveLength(1);
    });
  });
});
