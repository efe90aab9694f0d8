import { AggregationTemporality, type Histogram, MeterProvider } from '@opentelemetry/sdk-metrics';
import { metrics } from '../../../src';
import { FixtureService } from '../../fixtures/fixture-service';
import { Harness, outcomeCode } from '../../helpers/apps';
import { collectMetrics, histogramCount, ManualReader, memoryMetrics, pointsOf } from '../../helpers/otel';

const h = new Harness();
afterEach(() => h.close());


describe('RPC metrics', () => {
  it('counts every call in the client and server duration histograms, by method and status', async () => {
    const { provider, reader } = memoryMetrics();
    const { port } = await h.serve({ services: [FixtureService], telemetry: { metrics: { meterProvider: provider }, tracing: false, accessLog: false } });
    const client = h.client({ interceptors: [metrics({ meterProvider: provider })], policy: { retry: false } });
    for (let i = 0; i < 7; i++) await client.invoke('Fixture', 'echo', [i]);
    const failed = { metadata: { 'x-fail-code': 'NOT_FOUND' } };
    expect(await outcomeCode(client.invoke('Fixture', 'behave', ['a'], failed))).toBe('NOT_FOUND');
    expect(await outcomeCode(client.invoke('Fixture', 'behave', ['b'], failed))).toBe('NOT_FOUND');

    const m = await collectMetrics(reader);
    const clientDuration = m.get('rpc.client.duration');
    const serverDuration = m.get('rpc.server.duration');
    expect(clientDuration?.descriptor.unit).toBe('ms');
    expect(serverDuration?.descriptor.unit).toBe('ms');
    const target = { 'rpc.system': 'rivet', 'rpc.service': 'Fixture', 'server.address': '127.0.0.1', 'server.port': port };
    expect(histogramCount(clientDuration, { ...target, 'rpc.method': 'echo', 'rpc.rivet.status_code': 'OK' })).toBe(7);
    expect(histogramCount(clientDuration, { ...target, 'rpc.method': 'behave', 'rpc.rivet.status_code': 'NOT_FOUND' })).toBe(2);
    expect(histogramCount(clientDuration)).toBe(9);
    expect(histogramCount(serverDuration, { 'rpc.method': 'echo', 'rpc.rivet.status_code': 'OK' })).toBe(7);
    expect(histogramCount(serverDuration, { 'rpc.method': 'behave', 'rpc.rivet.status_code': 'NOT_FOUND' })).toBe(2);
    expect(histogramCount(serverDuration)).toBe(9);
    for (const p of pointsOf<Histogram>(clientDuration)) expect(p.value.sum).toBeGreaterThan(0);
    // Nothing is in flight any more; one client connection is open to the app.
    for (const p of pointsOf(m.get('rivet.client.active_requests'))) expect(p.value).toBe(0);
    for (const p of pointsOf(m.get('rivet.server.active_requests'))) expect(p.value).toBe(0);
    expect(pointsOf(m.get('rivet.server.connections'), { 'server.port': port }).map((p) => p.value)).toEqual([1]);
  });

  it('counts retries, and reports breaker state from the client’s breaker events', async () => {
    const { provider, reader } = memoryMetrics();
    const { port } = await h.serve({ services: [FixtureService] });
    const client = h.client({
      interceptors: [metrics({ meterProvider: provider })],
      policy: { retry: { maxAttempts: 3, initialBackoffMs: 1 }, breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } },
    });
    const flaky = { metadata: { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '2', 'x-key': 'flaky' } };
    expect(await outcomeCode(client.invoke('Fixture', 'behave', ['f'], flaky))).toBe('OK');
    let m = await collectMetrics(reader);
    expect(pointsOf(m.get('rivet.client.retries'), { 'rpc.method': 'behave' })[0].value).toBe(2);
    expect(histogramCount(m.get('rpc.client.duration'))).toBe(1);

    const broken = { metadata: { 'x-fail-code': 'UNAVAILABLE' } };
    const opened = new Promise((resolve) => client.once('breaker', resolve));
    for (let i = 0; i < 3; i++) await outcomeCode(client.invoke('Fixture', 'behave', [`b${i}`], broken));
    await opened;
    m = await collectMetrics(reader);
    expect(pointsOf(m.get('rivet.client.breaker.state'), { 'rpc.service': 'Fixture', 'server.port': port })[0].value).toBe(2);
    expect(pointsOf(m.get('rivet.client.breaker.transitions'), { 'rivet.breaker.state': 'open' })[0].value).toBe(1);
  });

  it('forgets the breaker gauge of an endpoint that left the registry', async () => {
    // Delta temporality: each collection holds only what was observed since the last one, so a
    // gauge Rivet no longer observes is absent (a cumulative reader keeps the SDK's last point).
    const reader = new ManualReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
    const provider = new MeterProvider({ readers: [reader] });
    const { app, port } = await h.serve({ services: [FixtureService] });
    const client = h.client({
      interceptors: [metrics({ meterProvider: provider })],
      policy: { retry: false, breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } },
    });
    const broken = { metadata: { 'x-fail-code': 'UNAVAILABLE' } };
    const opened = new Promise((resolve) => client.once('breaker', resolve));
    for (let i = 0; i < 3; i++) await outcomeCode(client.invoke('Fixture', 'behave', [`b${i}`], broken));
    await opened;
    expect(pointsOf((await collectMetrics(reader)).get('rivet.client.breaker.state'), { 'server.port': port })).toHaveLength(1);
    const removed = new Promise((resolve) => client.once('endpointRemoved', resolve));
    await app.close({ drainTimeoutMs: 1_000 });
    await expect(removed).resolves.toEqual({ endpoint: `127.0.0.1:${port}`, service: 'Fixture' });
    expect(pointsOf((await collectMetrics(reader)).get('rivet.client.breaker.state'), { 'server.port': port })).toHaveLength(0);
  });
});
