import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { createApp, EtcdRegistry, type Instance, MemoryRegistry } from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness } from '../helpers/apps';
import { describeEtcd, type EtcdServer, startEtcd } from '../helpers/etcd-server';

// listen() fails clean: when it rejects, nothing is left running (the port is released, no timer
// or socket keeps the process alive), the error says which registry or port and what to do, and
// a second listen() on the same app works once the cause is fixed.

const LISTEN_FAILS = path.join(__dirname, '..', 'fixtures', 'listen-fails.js');

/** Runs listen-fails.js; resolves with what it printed and its exit code, or fails after `withinMs`. */
function runListenFails(args: string[], withinMs: number): Promise<{ out: { message: string; code?: string }; exitCode: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [LISTEN_FAILS, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process was still alive ${withinMs} ms after listen() failed; it printed ${out}`));
    }, withinMs);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ out: JSON.parse(out.trim().split('\n')[0] || '{}') as { message: string; code?: string }, exitCode, ms: Date.now() - started });
    });
  });
}

/** A port nothing listens on: bound and released by a server of this test (not probed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

class FlakyRegistry extends MemoryRegistry {
  down = true;
  override async register(instance: Instance): Promise<void> {
    if (this.down) throw new Error('registry at mem://test is unreachable');
    return super.register(instance);
  }
}

/** The port an error says "was released" is free again: a plain server can bind it (or this rejects). */
async function expectReleased(message: string): Promise<void> {
  const port = Number(/the port (\d+) was released/.exec(message)?.[1]);
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => probe.close(resolve));
}

describe('listen() fails clean', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('a taken port: the error names the port and what to do, and listen() works once the port is free', async () => {
    const holder = await h.serve({ services: [FixtureService] });
    const app = await createApp({ services: [FixtureService], logger: false, registry: h.registry });
    try {
      const err = (await app.listen(holder.port, '127.0.0.1').catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(err.code).toBe('EADDRINUSE');
      expect(err.message).toContain(`127.0.0.1:${holder.port}`);
      expect(err.message).toMatch(/in use.*0 picks a free one/);
      await holder.app.close({ drainTimeoutMs: 1_000 });
      await expect(app.listen(holder.port, '127.0.0.1')).resolves.toEqual({ host: '127.0.0.1', port: holder.port });
    } finally {
      await app.close({ drainTimeoutMs: 1_000 });
    }
  });

  it('a taken HTTP port: the error names it and what to do, the binary port is released, and listen() works once it is free', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const app = await createApp({ services: [FixtureService], logger: false, registry: h.registry, http: { port: taken } });
    try {
      const err = (await app.listen(0, '127.0.0.1').catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(err.code).toBe('EADDRINUSE');
      expect(err.message).toContain(`HTTP server (createApp options.http) on 127.0.0.1:${taken}`);
      expect(err.message).toMatch(/in use.*0 picks a free one/);
      await expectReleased(err.message);
      expect(await h.registry.resolve('Fixture')).toEqual([]);

      await new Promise((resolve) => blocker.close(resolve));
      await expect(app.listen(0, '127.0.0.1')).resolves.toMatchObject({ httpPort: taken });
      const res = await fetch(`http://127.0.0.1:${taken}/livez`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      if (blocker.listening) await new Promise((resolve) => blocker.close(resolve));
      await app.close({ drainTimeoutMs: 1_000 });
    }
  });

  it('a registry that refuses: the port is released, nothing is registered, and a second listen() works once it is back', async () => {
    const registry = new FlakyRegistry();
    const app = await createApp({ services: [FixtureService], logger: false, registry });
    try {
      const err = (await app.listen(0, '127.0.0.1').catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/could not register .* FlakyRegistry .*unreachable.*Make the registry reachable, then call listen\(\) again/);
      await expectReleased(err.message);
      expect(await registry.resolve('Fixture')).toEqual([]);

      registry.down = false;
      const { port: bound } = await app.listen(0, '127.0.0.1');
      expect((await registry.resolve('Fixture')).map((i) => i.port)).toEqual([bound]);
      const client = h.client({ registry });
      await expect(client.invoke('Fixture', 'echo', ['up'])).resolves.toBe('up');
    } finally {
      await app.close({ drainTimeoutMs: 1_000 });
    }
  });

  it('an unreachable etcd: the process exits by itself, with no registry.close(), and the error names etcd’s address', async () => {
    const port = await closedPort();
    const { out, exitCode } = await runListenFails(['etcd', `127.0.0.1:${port}`], 15_000);
    expect(exitCode).toBe(0);
    expect(out.message).toContain(`127.0.0.1:${port}`);
    expect(out.message).toMatch(/could not register .* EtcdRegistry/);
    expect(out.message).toMatch(/call listen\(\) again/);
  });

  it('a taken port: the process exits by itself', async () => {
    const holder = await h.serve({ services: [FixtureService] });
    const { out, exitCode } = await runListenFails(['port', String(holder.port)], 10_000);
    expect(exitCode).toBe(0);
    expect(out.code).toBe('EADDRINUSE');
  });
});

describeEtcd('listen() against a real etcd that is down, then back', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(() => etcd.stop());

  it('rejects while etcd is down, and the same app and registry listen once it is back', async () => {
    await etcd.kill();
    const registry = new EtcdRegistry({ endpoints: [etcd.endpoint], ttlSeconds: 5 });
    const app = await createApp({ services: [FixtureService], logger: false, registry });
    try {
      const err = (await app.listen(0, '127.0.0.1').catch((e: unknown) => e)) as Error & { code?: string };
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toContain(etcd.endpoint.replace(/^https?:\/\//, ''));
      await etcd.restart();
      const { port } = await app.listen(0, '127.0.0.1');
      expect((await registry.resolve('Fixture')).map((i) => i.port)).toEqual([port]);
    } finally {
      await app.close({ drainTimeoutMs: 1_000 });
      await registry.close();
    }
  });
});
