import { RpcError, type BreakerStateChange, type Client, type InterceptorFn } from '../../../src';
import { faults } from '../../../src/testing';
import { DecoratedService, LedgerService } from '../../fixtures/resilience/ledger-service';
import { logSink, prefer, rejection, TcpRelay } from '../../fixtures/resilience/support';
import { Harness, waitFor } from '../../helpers/apps';
import { runQueueWaitMs } from '../../helpers/loop-lag';

const FAIL = { metadata: { 'x-fail-code': 'UNAVAILABLE' } };
const BREAKER = { volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeoutMs: 300 };
// For the fast-fail tests: open for far longer than their loops take even on a starved machine, so
// no half-open probe can reach the server in the middle of one.
const LONG_OPEN = { breaker: { ...BREAKER, resetTimeoutMs: 30_000 } };

describe('circuit breaker', () => {
  const h = new Harness();
  const relays: TcpRelay[] = [];
  afterEach(async () => {
    await h.close();
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  /** A Ledger app behind a byte-counting relay, and a client that calls it through the relay. */
  async function behindRelay(policy: Parameters<Client['proxy']>[1] = {}) {
    const { app, port } = await h.serve({ services: [LedgerService] });
    const relay = await TcpRelay.start(port);
    relays.push(relay);
    const sink = logSink('warn');
    const client = h.client({ endpoints: { Ledger: [relay.address] }, logger: sink.logger, policy: { retry: false, breaker: BREAKER, ...policy } });
    const events: BreakerStateChange[] = [];
    client.on('breaker', (e) => events.push(e));
    return { svc: app.get(LedgerService), relay, client, events, lines: sink.lines };
  }

  async function failTimes(client: Client, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await rejection(client.invoke('Ledger', 'read', [`f${i}`], FAIL));
  }

  it('opens after the threshold, then fails fast without writing a byte, in well under a millisecond', async () => {
    const { svc, relay, client, events, lines } = await behindRelay(LONG_OPEN);
    await failTimes(client, 5);
    expect(events).toEqual([{ endpoint: relay.address, service: 'Ledger', state: 'open' }]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'circuit breaker open', service: 'Ledger', peer: relay.address, state: 'open' }));

    const runs = svc.runs.length;
    const bytes = relay.bytesToServer;
    const N = 2_000;
    const waited = runQueueWaitMs();
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      const err = await rejection(client.invoke('Ledger', 'read', [`fast${i}`]));
      if (i === 0) {
        expect(err).toMatchObject({ code: 'UNAVAILABLE', notProcessed: true, details: { reason: 'BREAKER_OPEN', breaker: 'open' } });
        expect(err.attempts).toEqual([{ endpoint: '', code: 'UNAVAILABLE', ms: 0 }]);
      }
    }
    // Wall time less the time this process waited for a CPU (a busy machine): a call that slept or
    // waited for the network would still show here.
    const perCallMs = (performance.now() - started - (runQueueWaitMs() - waited)) / N;
    expect(perCallMs).toBeLessThan(1);
    expect(svc.runs.length).toBe(runs);
    expect(relay.bytesToServer).toBe(bytes);
    expect(client.stats().endpoints).toEqual([{ endpoint: relay.address, service: 'Ledger', breaker: 'open', inFlight: 0, calls: 5, failures: 5 }]);
  });

  it('fails fast the same way with the default retry policy: retrying cannot help while every breaker is open', async () => {
    const { svc, relay, client } = await behindRelay({ retry: undefined, ...LONG_OPEN });
    // Retried failures count too: 2 calls × 3 attempts reach the threshold of 5.
    await rejection(client.invoke('Ledger', 'read', ['a'], FAIL));
    await rejection(client.invoke('Ledger', 'read', ['b'], FAIL));
    await waitFor(() => client.stats().endpoints[0]?.breaker === 'open', 1_000, 'the breaker to open');
    const runs = svc.runs.length;
    const bytes = relay.bytesToServer;
    const N = 500;
    const waited = runQueueWaitMs();
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      const err = await rejection(client.invoke('Ledger', 'read', [`fast${i}`]));
      expect(err).toMatchObject({ code: 'UNAVAILABLE', notProcessed: true, stoppedBy: 'breaker', details: { reason: 'BREAKER_OPEN', breaker: 'open' } });
    }
    expect((performance.now() - started - (runQueueWaitMs() - waited)) / N).toBeLessThan(1);
    expect(svc.runs.length).toBe(runs);
    expect(relay.bytesToServer).toBe(bytes);
  });

  it('half-opens after resetTimeoutMs and closes on a good probe, emitting each change in order', async () => {
    const { relay, client, events, lines } = await behindRelay();
    await failTimes(client, 5);
    const openedAt = performance.now();
    await waitFor(() => events.length === 2, 2_000, 'the breaker to half-open');
    expect(performance.now() - openedAt).toBeGreaterThanOrEqual(300 - 20);
    await expect(client.invoke('Ledger', 'read', ['probe'])).resolves.toEqual({ key: 'probe', attempt: undefined });
    expect(events.map((e) => e.state)).toEqual(['open', 'halfOpen', 'closed']);
    for (const e of events) expect(e).toMatchObject({ endpoint: relay.address, service: 'Ledger' });
    expect(lines.map((l) => l.msg)).toEqual(['circuit breaker open', 'circuit breaker halfOpen', 'circuit breaker closed']);
    await expect(client.invoke('Ledger', 'read', ['after'])).resolves.toEqual({ key: 'after', attempt: undefined });
  });

  it('opens again when the half-open probe fails', async () => {
    const { client, events } = await behindRelay();
    await failTimes(client, 5);
    await waitFor(() => events.length === 2, 2_000, 'the breaker to half-open');
    expect((await rejection(client.invoke('Ledger', 'read', ['bad-probe'], FAIL))).details).toEqual({ run: 1 });
    expect(events.map((e) => e.state)).toEqual(['open', 'halfOpen', 'open']);
    expect(reasonOfNext(await rejection(client.invoke('Ledger', 'read', ['still-open'])))).toBe('BREAKER_OPEN');
  });

  it('counts only health-class failures: business errors never open it', async () => {
    const { client, events } = await behindRelay();
    for (let i = 0; i < 20; i++) {
      await rejection(client.invoke('Ledger', 'read', [`nf${i}`], { metadata: { 'x-fail-code': 'NOT_FOUND' } }));
    }
    expect(events).toEqual([]);
    expect(client.stats().endpoints[0]).toMatchObject({ breaker: 'closed', calls: 20, failures: 0 });
  });

  it('keeps one breaker per endpoint: the balancer skips the open one while its peer serves', async () => {
    const sick = await h.serve({ services: [LedgerService], interceptors: [faults({ failRate: 1 })] });
    const healthy = await h.serve({ services: [LedgerService] });
    const client = h.client({
      endpoints: { Ledger: [sick.address, healthy.address] },
      policy: { retry: false, outlierDetection: false, breaker: BREAKER, balancer: prefer(() => sick.address) },
    });
    const events: BreakerStateChange[] = [];
    client.on('breaker', (e) => events.push(e));
    for (let i = 0; i < 5; i++) await rejection(client.invoke('Ledger', 'read', [`s${i}`]));
    expect(events).toEqual([{ endpoint: sick.address, service: 'Ledger', state: 'open' }]);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.invoke('Ledger', 'read', [`h${i}`])));
    expect(results).toHaveLength(20);
    expect(healthy.app.get(LedgerService).runs).toHaveLength(20);
    const byEndpoint = Object.fromEntries(client.stats().endpoints.map((e) => [e.endpoint, e]));
    expect(byEndpoint[sick.address]).toMatchObject({ breaker: 'open', calls: 5, failures: 5 });
    expect(byEndpoint[healthy.address]).toMatchObject({ breaker: 'closed', calls: 20, failures: 0 });
  });

  it('keeps one breaker per service on an endpoint: a failing service does not open its neighbour', async () => {
    const { app, address } = await h.serve({ services: [LedgerService, DecoratedService] });
    const client = h.client({ endpoints: { Ledger: [address], Decorated: [address] }, policy: { retry: false, breaker: BREAKER } });
    const events: BreakerStateChange[] = [];
    client.on('breaker', (e) => events.push(e));
    await failTimes(client, 5);
    expect(events).toEqual([{ endpoint: address, service: 'Ledger', state: 'open' }]);
    await expect(client.invoke('Decorated', 'classLevel')).resolves.toBe('classLevel');
    expect(app.get(DecoratedService).runs).toEqual(['classLevel']);
    expect(reasonOfNext(await rejection(client.invoke('Ledger', 'read', ['shed'])))).toBe('BREAKER_OPEN');
  });

  it('sends calls refused by a half-open breaker (its probe still out) to another endpoint', async () => {
    let mode: 'fail' | 'slow' | 'ok' = 'fail';
    const control: InterceptorFn = (ctx, next) => {
      if (ctx.side === 'server' && mode === 'fail') throw new RpcError('UNAVAILABLE', 'sick');
      if (ctx.side === 'server' && mode === 'slow') ctx.metadata['x-delay-ms'] = '300';
      return next();
    };
    const sick = await h.serve({ services: [LedgerService], interceptors: [control] });
    const spare = await h.serve({ services: [LedgerService] });
    const client = h.client({
      endpoints: { Ledger: [sick.address, spare.address] },
      policy: { retry: { initialBackoffMs: 1 }, outlierDetection: false, breaker: BREAKER, balancer: prefer(() => sick.address) },
    });
    const events: BreakerStateChange[] = [];
    client.on('breaker', (e) => events.push(e));
    // Each call fails on the sick endpoint, then succeeds on the spare one.
    for (let i = 0; i < 5; i++) await expect(client.invoke('Ledger', 'read', [`s${i}`])).resolves.toEqual({ key: `s${i}`, attempt: '2' });
    expect(events.map((e) => e.state)).toEqual(['open']);

    mode = 'slow';
    await waitFor(() => events.length === 2, 2_000, 'the breaker to half-open');
    const probe = client.invoke('Ledger', 'read', ['probe']);
    await waitFor(() => sick.app.get(LedgerService).runs.length === 1, 1_000, 'the probe to reach the sick endpoint');
    // The balancer still prefers the half-open endpoint; its breaker refuses, and the retry goes elsewhere.
    const others = await Promise.all(Array.from({ length: 5 }, (_, i) => client.invoke('Ledger', 'read', [`o${i}`])));
    for (const r of others) expect(r).toMatchObject({ attempt: '2' });
    expect(spare.app.get(LedgerService).runs.filter((r) => r.key.startsWith('o'))).toHaveLength(5);
    await expect(probe).resolves.toEqual({ key: 'probe', attempt: undefined });
    expect(events.map((e) => e.state)).toEqual(['open', 'halfOpen', 'closed']);
  });
});

function reasonOfNext(err: { details?: unknown }): unknown {
  return (err.details as { reason?: unknown } | undefined)?.reason;
}
