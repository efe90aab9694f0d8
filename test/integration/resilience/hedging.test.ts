import type { InterceptorFn } from '../../../src';
import { FixtureService } from '../../fixtures/fixture-service';
import { prefer, rejection, watchLoopStalls } from '../../fixtures/resilience/support';
import { Harness, waitFor } from '../../helpers/apps';

/** A server interceptor that makes every call to its app slow, through the fixture's x-delay-ms. */
function slowServer(ms = 2_000): InterceptorFn {
  return (ctx, next) => {
    if (ctx.side === 'server') ctx.metadata['x-delay-ms'] = String(ms);
    return next();
  };
}

describe('hedging', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('sends a second attempt to another endpoint after delayMs, returns the first reply and cancels the loser', async () => {
    const slow = await h.serve({ services: [FixtureService], interceptors: [slowServer()] });
    const fast = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [slow.address, fast.address] } });
    // The balancer would pick the slow endpoint every time it may; the hedge must still go elsewhere.
    const fixture = client.proxy<FixtureService>('Fixture', {
      balancer: prefer(() => slow.address),
      methods: { behave: { idempotent: true, hedge: { delayMs: 50 } } },
    });
    const slowLog = slow.app.get(FixtureService).log;
    const fastLog = fast.app.get(FixtureService).log;

    const started = performance.now();
    const result = await fixture.behave('h1');
    const elapsedMs = performance.now() - started;

    expect(result.metadata['rivet-hedge']).toBe('2');
    expect(elapsedMs).toBeGreaterThanOrEqual(49);
    expect(elapsedMs).toBeLessThan(1_000);
    expect(fastLog.finished).toEqual(['h1']);
    expect(slowLog.started).toEqual(['h1']);
    // The loser got a cancel frame: its handler's signal aborted with CANCELLED.
    await waitFor(() => slowLog.aborted.length === 1, 1_000, 'the slow attempt to be cancelled');
    expect(slowLog.aborted).toEqual([{ key: 'h1', reason: 'CANCELLED' }]);
    expect(slowLog.finished).toEqual([]);
  });

  it('sends no hedge when the first reply comes within delayMs', async () => {
    const a = await h.serve({ services: [FixtureService] });
    const b = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [a.address, b.address] } });
    const fixture = client.proxy<FixtureService>('Fixture', { methods: { behave: { idempotent: true, hedge: { delayMs: 500 } } } });
    for (let i = 0; i < 10; i++) expect((await fixture.behave(`q${i}`)).metadata['rivet-hedge']).toBeUndefined();
    const started = [...a.app.get(FixtureService).log.started, ...b.app.get(FixtureService).log.started];
    expect(started.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`).sort());
  });

  it('keeps the deadline: every hedged attempt shares it, and the call fails with DEADLINE_EXCEEDED', async () => {
    const a = await h.serve({ services: [FixtureService], interceptors: [slowServer()] });
    const b = await h.serve({ services: [FixtureService], interceptors: [slowServer()] });
    const client = h.client({ endpoints: { Fixture: [a.address, b.address] } });
    const fixture = client.proxy<FixtureService>('Fixture', { timeoutMs: 200, methods: { behave: { idempotent: true, hedge: { delayMs: 50, maxAttempts: 3 } } } });
    const stalls = watchLoopStalls();
    const started = performance.now();
    const err = await rejection(fixture.behave('late'));
    const elapsedMs = performance.now() - started;
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    expect(elapsedMs).toBeGreaterThanOrEqual(195);
    expect(elapsedMs).toBeLessThan(200 + 50 + stalls.stop());
    const logs = [a, b].map((s) => s.app.get(FixtureService).log);
    expect(logs.reduce((n, l) => n + l.started.length, 0)).toBe(3);
    // Both endpoints got an attempt before either got a second.
    expect(logs.every((l) => l.started.length >= 1)).toBe(true);
  });

  it('sends no hedge once the retry budget is spent', async () => {
    const slow = await h.serve({ services: [FixtureService], interceptors: [slowServer(300)] });
    const fast = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [slow.address, fast.address] } });
    const fixture = client.proxy<FixtureService>('Fixture', {
      balancer: prefer(() => slow.address),
      retry: { budget: { ratio: 0, minPerSecond: 0 } },
      methods: { behave: { idempotent: true, hedge: { delayMs: 50 } } },
    });
    const started = performance.now();
    const result = await fixture.behave('unhedged');
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(result.metadata['rivet-hedge']).toBeUndefined();
    expect(fast.app.get(FixtureService).log.started).toEqual([]);
    expect(client.stats().retryBudget).toEqual([{ service: 'Fixture', calls: 1, retries: 0 }]);
  });

  it('refuses to hedge a method that is not idempotent, when the proxy is created', () => {
    const client = h.client({ endpoints: { Fixture: ['127.0.0.1:1'] } });
    expect(() => client.proxy('Fixture', { methods: { echo: { hedge: { delayMs: 10 } } } })).toThrow(
      expect.objectContaining({ name: 'RivetConfigError', code: 'RIVET_ERR_INVALID_OPTION', message: expect.stringContaining('policy of Fixture.echo: hedging') }),
    );
  });

  it('applies a proxy-wide hedge to the idempotent methods and leaves the others unhedged, as retries do', async () => {
    const slow = await h.serve({ services: [FixtureService], interceptors: [slowServer(300)] });
    const fast = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [slow.address, fast.address] } });
    // Not refused at construction, though echo is not idempotent.
    const fixture = client.proxy(FixtureService, { balancer: prefer(() => slow.address), hedge: { delayMs: 50 } });
    const hedged = await fixture.behave('idem');
    expect(hedged.metadata['rivet-hedge']).toBe('2');
    // echo is not idempotent: one attempt only, on the slow endpoint, however long it takes.
    await expect(fixture.echo('once')).resolves.toBe('once');
    expect(fast.app.get(FixtureService).log.started).toEqual(['idem']);
  });

  it('refuses an explicit per-method hedge on a method that is not idempotent, naming the method', () => {
    const client = h.client({ endpoints: { Fixture: ['127.0.0.1:1'] } });
    expect(() => client.proxy(FixtureService, { methods: { echo: { hedge: { delayMs: 10 } } } })).toThrow(
      expect.objectContaining({ name: 'RivetConfigError', message: expect.stringMatching(/Fixture\.echo: hedging .*Fixture\.echo is not idempotent/) }),
    );
  });

  it('hedges calls by name once the handshake says the method is idempotent, without idempotent: true in the policy', async () => {
    const slow = await h.serve({ services: [FixtureService], interceptors: [slowServer(300)] });
    const fast = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [slow.address, fast.address] }, policy: { hedge: { delayMs: 50 }, balancer: prefer(() => slow.address) } });
    // The first call learns the method's facts from the handshake; the next ones hedge.
    await client.invoke('Fixture', 'behave', ['learn']);
    const result = (await client.invoke('Fixture', 'behave', ['hedged'])) as { metadata: Record<string, string> };
    expect(result.metadata['rivet-hedge']).toBe('2');
    expect(fast.app.get(FixtureService).log.started).toEqual(['hedged']);
  });
});
