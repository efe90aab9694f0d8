import * as net from 'node:net';
import { createApp, isRpcError, type Client, type RpcError } from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness, waitFor } from '../helpers/apps';
import { type ChildServer, startChildServer, stopChildServer } from '../helpers/child-server-process';


/** One call and how it ended. */
interface Outcome {
  ok: boolean;
  ms: number;
  err?: RpcError;
}

async function timedEcho(client: Client, timeoutMs = 5_000): Promise<Outcome> {
  const started = performance.now();
  try {
    await client.invoke('Fixture', 'echo', ['ping'], { timeoutMs });
    return { ok: true, ms: performance.now() - started };
  } catch (err) {
    if (!isRpcError(err)) throw err;
    return { ok: false, ms: performance.now() - started, err };
  }
}

/** Calls until one succeeds (failing after `boundMs`); returns every failure on the way and the time taken. */
async function callUntilSuccess(client: Client, boundMs: number): Promise<{ failures: Outcome[]; elapsedMs: number }> {
  const failures: Outcome[] = [];
  const started = performance.now();
  await waitFor(
    async () => {
      const o = await timedEcho(client);
      if (!o.ok) failures.push(o);
      return o.ok;
    },
    boundMs,
    'a call to succeed again',
  );
  return { failures, elapsedMs: performance.now() - started };
}

/** Every failure is a fast UNAVAILABLE: nothing waited for its 5 s deadline (they take ms; 1 s leaves room for a loaded machine). */
function expectFastUnavailable(failures: Outcome[]): void {
  for (const f of failures) {
    expect(f.err?.code).toBe('UNAVAILABLE');
    expect(f.ms).toBeLessThan(1_000);
  }
}

describe('reconnect', () => {
  const h = new Harness();
  const children: ChildServer[] = [];
  afterEach(async () => {
    await h.close();
    await Promise.all(children.splice(0).map(stopChildServer));
  });

  it('reconnects an existing client by itself after the server process restarts on the same port', async () => {
    const first = await startChildServer();
    children.push(first);
    const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${first.port}`] } });
    expect((await timedEcho(client)).ok).toBe(true);

    first.child.kill('SIGKILL');
    await first.closed;
    // Down: calls fail fast with UNAVAILABLE rather than wait out their deadline.
    const down: Outcome[] = [];
    for (let i = 0; i < 5; i++) down.push(await timedEcho(client));
    expect(down.every((o) => !o.ok)).toBe(true);
    expectFastUnavailable(down);

    const second = await startChildServer(first.port);
    children.push(second);
    expect(second.port).toBe(first.port);
    const { failures, elapsedMs } = await callUntilSuccess(client, 5_000);
    expectFastUnavailable(failures);
    expect(elapsedMs).toBeLessThan(5_000);
    // Back for good: the same client keeps working.
    const again = await Promise.all(Array.from({ length: 20 }, () => timedEcho(client)));
    expect(again.every((o) => o.ok)).toBe(true);
  });

  it('reconnects after a graceful restart of an in-process server on the same port', async () => {
    const first = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [first.address] } });
    expect((await timedEcho(client)).ok).toBe(true);

    await first.app.close({ drainTimeoutMs: 1_000 });
    const down = await timedEcho(client);
    expect(down.ok).toBe(false);
    expectFastUnavailable([down]);

    const second = await createApp({ services: [FixtureService], logger: false, registry: h.registry });
    try {
      await second.listen(first.port, '127.0.0.1');
      const { failures } = await callUntilSuccess(client, 5_000);
      expectFastUnavailable(failures);
    } finally {
      await second.close({ drainTimeoutMs: 1_000 });
    }
  });

  it('backs off between reconnect attempts while the endpoint is down, and calls fail fast meanwhile', async () => {
    // A listener that accepts and at once closes every connection: each reconnect attempt is
    // counted, and each fails its handshake.
    let attempts = 0;
    const sockets = new Set<net.Socket>();
    const refuser = net.createServer((s) => {
      attempts++;
      sockets.add(s);
      s.on('error', () => {});
      s.destroy();
    });
    await new Promise<void>((resolve) => refuser.listen(0, '127.0.0.1', resolve));
    const port = (refuser.address() as net.AddressInfo).port;
    const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${port}`] } });

    // Call for 1.5 s, every 10 ms or so. With no backoff that would be ~150 connections; with
    // 100 ms doubling (jittered 0.8–1.2) it is about 5.
    const outcomes: Outcome[] = [];
    const until = performance.now() + 1_500;
    while (performance.now() < until) {
      outcomes.push(await timedEcho(client));
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    expectFastUnavailable(outcomes);
    expect(outcomes.length).toBeGreaterThan(50);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(8);

    // The real server comes up where the refuser was: the client finds it within its backoff.
    await new Promise((resolve) => refuser.close(resolve));
    for (const s of sockets) s.destroy();
    const app = await createApp({ services: [FixtureService], logger: false, registry: h.registry });
    try {
      await app.listen(port, '127.0.0.1');
      const { failures, elapsedMs } = await callUntilSuccess(client, 5_000);
      expectFastUnavailable(failures);
      // At most 5 attempts fit in 1.5 s, so the next is due within 1.6 s × 1.2 of the last one.
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      await app.close({ drainTimeoutMs: 1_000 });
    }
  });
});
