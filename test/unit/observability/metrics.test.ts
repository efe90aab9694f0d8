import type { Histogram } from '@opentelemetry/sdk-metrics';
import { type CallContext, createCallContext } from '../../../src/call';
import { RivetConfigError, RpcError } from '../../../src/errors';
import { toAttemptMiddleware, toMiddleware } from '../../../src/interceptors';
import { metrics, telemetryHooksOf } from '../../../src/observability';
import { collectMetrics, histogramCount, memoryMetrics, pointsOf } from '../../helpers/otel';

function ctx(side: 'client' | 'server', method = 'place', metadata: Record<string, string> = {}): CallContext {
  return createCallContext(side, 'Orders', method, [], metadata, undefined, new AbortController().signal, { address: '127.0.0.1:4100' });
}

describe('metrics', () => {
  it('records one duration per call, by side, method and status, in ms', async () => {
    const { provider, reader } = memoryMetrics();
    const mw = toMiddleware(metrics({ meterProvider: provider }));
    await mw(async () => 'ok')(ctx('client'));
    await mw(async () => 'ok')(ctx('client'));
    await expect(mw(async () => Promise.reject(new RpcError('NOT_FOUND', 'x')))(ctx('client', 'cancel'))).rejects.toThrow();
    await mw(async () => new Promise((r) => setTimeout(r, 20)))(ctx('server'));
    const m = await collectMetrics(reader);
    const client = m.get('rpc.client.duration');
    expect(client?.descriptor.unit).toBe('ms');
    expect(histogramCount(client, { 'rpc.method': 'place', 'rpc.rivet.status_code': 'OK', 'server.address': '127.0.0.1', 'server.port': 4100 })).toBe(2);
    expect(histogramCount(client, { 'rpc.method': 'cancel', 'rpc.rivet.status_code': 'NOT_FOUND' })).toBe(1);
    const server = pointsOf<Histogram>(m.get('rpc.server.duration'), { 'rpc.system': 'rivet', 'rpc.service': 'Orders' });
    expect(server).toHaveLength(1);
    expect(server[0].value.count).toBe(1);
    expect(server[0].value.sum).toBeGreaterThanOrEqual(15);
  });

  it('counts calls in flight up while they run and down when they end', async () => {
    const { provider, reader } = memoryMetrics();
    const mw = toMiddleware(metrics({ meterProvider: provider }));
    let release!: () => void;
    const running = mw(() => new Promise<void>((r) => (release = r)))(ctx('server'));
    await new Promise((r) => setImmediate(r));
    expect(pointsOf(await collectMetrics(reader).then((m) => m.get('rivet.server.active_requests')))[0].value).toBe(1);
    release();
    await running;
    expect(pointsOf((await collectMetrics(reader)).get('rivet.server.active_requests'))[0].value).toBe(0);
  });

  it('counts attempts after the first as retries', async () => {
    const { provider, reader } = memoryMetrics();
    const attempt = toAttemptMiddleware(metrics({ meterProvider: provider }))!;
    const run = attempt(async () => 'ok');
    await run(ctx('client'));
    await run(ctx('client', 'place', { 'rivet-attempt': '2' }));
    await run(ctx('client', 'place', { 'rivet-hedge': '2' }));
    expect(pointsOf((await collectMetrics(reader)).get('rivet.client.retries'))[0].value).toBe(2);
  });

  it('reports breaker states and open connections fed through its hooks', async () => {
    const { provider, reader } = memoryMetrics();
    const m = metrics({ meterProvider: provider });
    const hooks = telemetryHooksOf(m)!;
    hooks.breakerChanged!({ service: 'Orders', endpoint: '127.0.0.1:4100', state: 'open' });
    hooks.breakerChanged!({ service: 'Orders', endpoint: '127.0.0.1:4101', state: 'open' });
    hooks.breakerChanged!({ service: 'Orders', endpoint: '127.0.0.1:4101', state: 'halfOpen' });
    let open = 3;
    const stop = hooks.observeConnections!({ count: () => open, port: () => 4100 });
    let collected = await collectMetrics(reader);
    expect(pointsOf(collected.get('rivet.client.breaker.state'), { 'server.port': 4100 })[0].value).toBe(2);
    expect(pointsOf(collected.get('rivet.client.breaker.state'), { 'server.port': 4101 })[0].value).toBe(1);
    expect(pointsOf(collected.get('rivet.client.breaker.transitions')).reduce((n, p) => n + p.value, 0)).toBe(3);
    expect(pointsOf(collected.get('rivet.server.connections'), { 'server.port': 4100 })[0].value).toBe(3);
    open = 1;
    collected = await collectMetrics(reader);
    expect(pointsOf(collected.get('rivet.server.connections'), { 'server.port': 4100 })[0].value).toBe(1);
    stop();
    open = 7;
    collected = await collectMetrics(reader);
    // The SDK keeps a cumulative series it saw once; a stopped source is no longer read.
    expect(pointsOf(collected.get('rivet.server.connections'), { 'server.port': 4100 }).map((p) => p.value)).not.toContain(7);
  });

  it('works against the API’s no-op meter when no SDK is installed', async () => {
    await expect(toMiddleware(metrics())(async () => 'ok')(ctx('client'))).resolves.toBe('ok');
  });

  it('rejects a meterProvider that is not one', () => {
    expect(() => metrics({ meterProvider: { getTracer: () => undefined } as never })).toThrow(RivetConfigError);
  });
});
