import { createApp, type App } from '../../../src';
import { FixtureService } from '../../fixtures/fixture-service';
import { Harness, rejection } from '../../helpers/apps';

// waitForReady means wait: a call whose endpoints refuse connections, reconnect, drain or are
// ejected waits (within its deadline) for one to become ready, instead of failing on the first
// refused connect, as grpc's waitForReady does.

describe('waitForReady', () => {
  const h = new Harness();
  const extra: App[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((a) => a.close({ drainTimeoutMs: 1_000 })));
    await h.close();
  });

  /** A port that a server listened on and released: nothing listens there now. */
  async function releasedPort(): Promise<number> {
    const s = await h.serve({ services: [FixtureService] });
    await s.app.close({ drainTimeoutMs: 1_000 });
    return s.port;
  }

  it('a call made while nothing listens succeeds once a server starts on the address', async () => {
    const port = await releasedPort();
    const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${port}`] }, policy: { waitForReady: true, timeoutMs: 15_000 } });
    const call = client.invoke('Fixture', 'echo', ['waited']);
    // Let it meet a few refused connects and reconnect backoffs first.
    await new Promise((r) => setTimeout(r, 700));
    const app = await createApp({ services: [FixtureService], logger: false, registry: h.registry });
    extra.push(app);
    await app.listen(port, '127.0.0.1');
    await expect(call).resolves.toBe('waited');
  });

  it('without waitForReady the same call fails fast on the refused connect', async () => {
    const port = await releasedPort();
    const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${port}`] }, policy: { timeoutMs: 15_000 } });
    const started = performance.now();
    const err = await rejection(client.invoke('Fixture', 'echo', ['x']));
    expect(err.code).toBe('UNAVAILABLE');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('fails with DEADLINE_EXCEEDED carrying the last connection error only when the deadline passes', async () => {
    const port = await releasedPort();
    const address = `127.0.0.1:${port}`;
    const client = h.client({ endpoints: { Fixture: [address] }, policy: { waitForReady: true, timeoutMs: 600 } });
    const started = performance.now();
    const err = await rejection(client.invoke('Fixture', 'echo', ['x']));
    const elapsedMs = performance.now() - started;
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    // Not on the first refused connect: it waited out its deadline (timers fire no earlier).
    expect(elapsedMs).toBeGreaterThanOrEqual(590);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect((err.details as { lastErrors: unknown[] }).lastErrors).toEqual([{ endpoint: address, code: 'UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') }]);
  });

  it('waits through a draining endpoint for a new instance to register', async () => {
    const first = await h.serve({ services: [FixtureService] });
    const client = h.client({ policy: { waitForReady: true, timeoutMs: 15_000 } });
    await expect(client.invoke('Fixture', 'echo', ['warm'])).resolves.toBe('warm');
    await first.app.close({ drainTimeoutMs: 1_000 });
    const call = client.invoke('Fixture', 'echo', ['after']);
    await new Promise((r) => setTimeout(r, 300));
    await h.serve({ services: [FixtureService] });
    await expect(call).resolves.toBe('after');
  });
});
