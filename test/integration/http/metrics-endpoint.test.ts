import { metrics as otelMetrics } from '@opentelemetry/api';
import { Method, RpcError, Service } from '../../../src';
import { Harness } from '../../helpers/apps';
import { collectMetrics, memoryMetrics, pointsOf } from '../../helpers/otel';

@Service('Calc')
class CalcService {
  @Method()
  add(a: number, b: number): number {
    return a + b;
  }

  @Method()
  fail(): never {
    throw new RpcError('NOT_FOUND', 'no such thing');
  }
}

/** One sample line of Prometheus text: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

function value(samples: Sample[], name: string, match: Record<string, string>): number {
  const found = samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

async function scrape(base: string): Promise<{ status: number; type: string | null; samples: Sample[]; text: string }> {
  const res = await fetch(`${base}/metrics`);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), samples: res.status === 200 ? parse(text) : [], text };
}

async function add(base: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}/rpc/Calc/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
    expect(res.status).toBe(200);
    await res.text();
  }
}

const h = new Harness();
afterEach(() => h.close());

describe('/metrics', () => {
  it('serves Prometheus text with no OpenTelemetry SDK set up; N calls grow the counter and the histogram _count by exactly N', async () => {
    // No SDK: the global provider is the API's no-op one.
    expect(otelMetrics.getMeterProvider().constructor.name).toMatch(/Noop/);
    const { httpPort } = await h.serve({ services: [CalcService], http: { port: 0, metrics: true } });
    const base = `http://127.0.0.1:${httpPort}`;
    await add(base, 2);
    const before = await scrape(base);
    expect(before.status).toBe(200);
    expect(before.type).toBe('text/plain; version=0.0.4');
    const labels = { rpc_service: 'Calc', rpc_method: 'add' };
    const counter0 = value(before.samples, 'rivet_server_calls_total', labels);
    const count0 = value(before.samples, 'rpc_server_call_duration_seconds_count', labels);
    expect(counter0).toBe(2);
    const N = 7;
    await add(base, N);
    const after = await scrape(base);
    expect(value(after.samples, 'rivet_server_calls_total', labels) - counter0).toBe(N);
    expect(value(after.samples, 'rpc_server_call_duration_seconds_count', labels) - count0).toBe(N);
  });

  it('follows Prometheus conventions: base units, _total counters, cumulative buckets ending in +Inf = _count', async () => {
    const { httpPort } = await h.serve({ services: [CalcService], http: { port: 0, metrics: true } });
    const base = `http://127.0.0.1:${httpPort}`;
    await add(base, 3);
    await fetch(`${base}/rpc/Calc/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }).then((r) => r.text());
    const { samples, text } = await scrape(base);
    expect(text).toMatch(/# TYPE rivet_server_calls_total counter/);
    expect(text).toMatch(/# TYPE rpc_server_call_duration_seconds histogram/);
    expect(text).not.toMatch(/milliseconds|_ms\b/);
    expect(text).not.toMatch(/^# UNIT/m);
    for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE ') && l.endsWith(' counter'))) expect(line.split(' ')[2]).toMatch(/_total$/);
    expect(value(samples, 'rivet_server_calls_total', { rpc_method: 'fail', rpc_rivet_status_code: 'NOT_FOUND' })).toBe(1);
    const buckets = samples
      .filter((s) => s.name === 'rpc_server_call_duration_seconds_bucket' && s.labels.rpc_method === 'add')
      .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), v: s.value }));
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i++) {
      expect(buckets[i].le).toBeGreaterThan(buckets[i - 1].le);
      expect(buckets[i].v).toBeGreaterThanOrEqual(buckets[i - 1].v);
    }
    expect(buckets[buckets.length - 1]).toEqual({ le: Infinity, v: 3 });
    // Seconds: a loopback call lands well under the 1 s bucket.
    expect(buckets.find((b) => b.le === 1)?.v).toBe(3);
  });

  it('is on by default when the app has telemetry metrics, and off without them or with metrics: false', async () => {
    const on = await h.serve({ services: [CalcService], telemetry: { tracing: false, accessLog: false }, http: { port: 0 } });
    expect((await scrape(`http://127.0.0.1:${on.httpPort}`)).status).toBe(200);
    const plain = await h.serve({ services: [CalcService], http: { port: 0 } });
    expect((await scrape(`http://127.0.0.1:${plain.httpPort}`)).status).toBe(404);
    const off = await h.serve({ services: [CalcService], telemetry: true, http: { port: 0, metrics: false } });
    expect((await scrape(`http://127.0.0.1:${off.httpPort}`)).status).toBe(404);
  });

  it("keeps feeding the user's own meter provider as before", async () => {
    const { provider, reader } = memoryMetrics();
    const { httpPort } = await h.serve({
      services: [CalcService],
      telemetry: { tracing: false, accessLog: false, metrics: { meterProvider: provider } },
      http: { port: 0 },
    });
    const base = `http://127.0.0.1:${httpPort}`;
    await add(base, 4);
    const mine = await collectMetrics(reader);
    const points = pointsOf<{ count: number }>(mine.get('rpc.server.duration'), { 'rpc.method': 'add' });
    expect(points.reduce((n, p) => n + p.value.count, 0)).toBe(4);
    const scraped = await scrape(base);
    expect(value(scraped.samples, 'rivet_server_calls_total', { rpc_method: 'add' })).toBe(4);
    await provider.shutdown();
  });
});
