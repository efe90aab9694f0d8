import { metrics as metricsApi, propagation, trace } from '@opentelemetry/api';
import { accessLog, createApp, createClient } from '../../../src';
import { FixtureService } from '../../fixtures/fixture-service';
import { Harness } from '../../helpers/apps';
import { logSink } from '../../helpers/log-sink';
import { collectMetrics, enableAsyncContext, histogramCount, memoryMetrics, memoryTracing, w3cPropagator } from '../../helpers/otel';

const h = new Harness();
afterEach(() => h.close());

describe('telemetry: true with the global OpenTelemetry providers', () => {
  // What the Node SDK's start() does, by hand: global providers, propagator and context manager.
  const sdk = memoryTracing();
  const meters = memoryMetrics();
  let disableContext: () => void;
  beforeAll(() => {
    disableContext = enableAsyncContext();
    trace.setGlobalTracerProvider(sdk.provider);
    metricsApi.setGlobalMeterProvider(meters.provider);
    propagation.setGlobalPropagator(w3cPropagator());
  });
  afterAll(() => {
    trace.disable();
    metricsApi.disable();
    propagation.disable();
    disableContext();
  });

  it('writes one access line per call on each side, sharing the trace id, and traces and measures it', async () => {
    const server = logSink();
    const caller = logSink();
    const { port } = await h.serve({ services: [FixtureService], logger: server.logger, telemetry: true });
    const client = h.client({ logger: caller.logger, telemetry: true, policy: { retry: { maxAttempts: 2, initialBackoffMs: 1 } } });
    await client.invoke('Fixture', 'echo', ['hi']);
    const retried = { metadata: { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1', 'x-key': 'once' } };
    await client.invoke('Fixture', 'behave', ['k'], retried);
    await expect(client.invoke('Fixture', 'behave', ['k'], { metadata: { 'x-fail-code': 'NOT_FOUND' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const serverLines = server.lines.filter((l) => l.component === 'access');
    const clientLines = caller.lines.filter((l) => l.component === 'access');
    expect(clientLines.map((l) => [l.method, l.code, l.attempt])).toEqual([
      ['echo', 'OK', 1],
      ['behave', 'OK', 2],
      ['behave', 'NOT_FOUND', 1],
    ]);
    expect(serverLines.map((l) => [l.method, l.code, l.attempt])).toEqual([
      ['echo', 'OK', 1],
      ['behave', 'UNAVAILABLE', 1],
      ['behave', 'OK', 2],
      ['behave', 'NOT_FOUND', 1],
    ]);
    for (const l of [...serverLines, ...clientLines]) {
      expect(l).toMatchObject({ level: 30, msg: 'call', service: 'Fixture', traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(typeof l.durationMs).toBe('number');
    }
    expect(clientLines[0]).toMatchObject({ side: 'client', peer: `127.0.0.1:${port}` });
    expect(serverLines[0]).toMatchObject({ side: 'server', peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    // Both sides of one call log the same trace id; the retried call's two server lines share it too.
    expect(serverLines.map((l) => l.traceId)).toEqual([clientLines[0].traceId, clientLines[1].traceId, clientLines[1].traceId, clientLines[2].traceId]);
    expect(new Set(sdk.spans().map((s) => s.spanContext().traceId))).toEqual(new Set(clientLines.map((l) => l.traceId)));
    expect(histogramCount((await collectMetrics(meters.reader)).get('rpc.server.duration'))).toBe(4);
  });
});

describe('accessLog options end to end', () => {
  it('logs slow calls at warn and nothing else when its level is off', async () => {
    const { logger, lines } = logSink('warn');
    await h.serve({ services: [FixtureService], logger, interceptors: [accessLog({ slowMs: 50 })] });
    const client = h.client();
    await client.invoke('Fixture', 'echo', ['fast']);
    await client.invoke('Fixture', 'behave', ['slow'], { metadata: { 'x-delay-ms': '80' } });
    const access = lines.filter((l) => l.component === 'access');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ level: 40, msg: 'slow call', method: 'behave', code: 'OK' });
    expect(access[0].durationMs as number).toBeGreaterThan(50);
  });

  it('rejects bad telemetry options when the app or client is created', async () => {
    await expect(createApp({ logger: false, telemetry: { accessLog: { sample: 3 } } })).rejects.toThrow(/createApp options.telemetry.accessLog.sample/);
    expect(() => createClient({ logger: false, telemetry: 'on' as never })).toThrow(/createClient options.telemetry must be true, false/);
  });
});
