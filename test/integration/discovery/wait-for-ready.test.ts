import { createApp, type App } from '../../../src';
import { failWhile, labelledService } from '../../fixtures/cluster/labelled-service';
import { FixtureService } from '../../fixtures/fixture-service';
import { Harness, rejection, waitFor } from '../../helpers/apps';

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

  it('waits through an endpoint still listed but draining, and a server started on its address takes the call', async () => {
    const first = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [first.address] }, policy: { waitForReady: true, timeoutMs: 15_000 } });
    // A call its handler has begun keeps the server draining (it has said GOAWAY, but is not gone) for a while.
    const held = client.invoke('Fixture', 'behave', ['held'], { metadata: { 'x-delay-ms': '800' } });
    await waitFor(() => first.app.get(FixtureService).log.started.length === 1, 5_000, 'the held call to start');
    const closing = first.app.close({ drainTimeoutMs: 10_000 });
    await waitFor(() => client.endpoints('Fixture')[0]?.state === 'draining', 5_000, 'the endpoint to drain');
    let settled = false;
    const call = client.invoke('Fixture', 'echo', ['after']);
    void call.then(
      () => (settled = true),
      () => (settled = true),
    );
    await expect(held).resolves.toMatchObject({ key: 'held' });
    await closing;
    // Neither the drain nor the refused connects after it failed the call.
    expect(settled).toBe(false);
    const next = await createApp({ services: [FixtureService], logger: false, registry: h.registry });
    extra.push(next);
    await next.listen(first.port, '127.0.0.1');
    await expect(call).resolves.toBe('after');
  });

  it('waits while every endpoint is ejected, and calls the first one back from ejection', async () => {
    let sick = true;
    const a = await h.serve({ services: [labelledService('a')], interceptors: [failWhile(() => sick)] });
    const b = await h.serve({ services: [labelledService('b')], interceptors: [failWhile(() => sick)] });
    // Ejections long enough to outlast the checks below on a slow machine.
    const outlierDetection = { consecutiveFailures: 2, baseEjectionMs: 3_000, maxEjectedPercent: 100 };
    const client = h.client({ endpoints: { Fixture: [a.address, b.address] }, policy: { retry: false, breaker: false, balancer: 'round-robin', outlierDetection } });
    for (let i = 0; i < 4; i++) await client.invoke('Fixture', 'whoami').catch(() => undefined);
    expect(client.endpoints('Fixture').map((e) => e.ejected)).toEqual([true, true]);
    sick = false;
    // Without waitForReady: fails at once, and the message says why nothing is ready.
    const fast = await rejection(client.invoke('Fixture', 'whoami'));
    expect(fast).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'NO_READY_ENDPOINT' } });
    expect(fast.message).toContain('2 ejected by outlier detection');
    // With it: waits for the ejection to end instead.
    const patient = client.proxy<{ whoami(): Promise<string> }>('Fixture', { waitForReady: true, timeoutMs: 15_000 });
    await expect(patient.whoami()).resolves.toMatch(/^[ab]$/);
  });

  it('fails with DEADLINE_EXCEEDED when the deadline passes before an ejected endpoint comes back', async () => {
    let sick = true;
    const a = await h.serve({ services: [labelledService('a')], interceptors: [failWhile(() => sick)] });
    const outlierDetection = { consecutiveFailures: 2, baseEjectionMs: 30_000, maxEjectedPercent: 100 };
    const client = h.client({ endpoints: { Fixture: [a.address] }, policy: { retry: false, breaker: false, outlierDetection } });
    for (let i = 0; i < 2; i++) await client.invoke('Fixture', 'whoami').catch(() => undefined);
    expect(client.endpoints('Fixture')[0]?.ejected).toBe(true);
    sick = false;
    const patient = client.proxy<{ whoami(): Promise<string> }>('Fixture', { waitForReady: true, timeoutMs: 300 });
    const started = performance.now();
    const err = await rejection(patient.whoami());
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});
