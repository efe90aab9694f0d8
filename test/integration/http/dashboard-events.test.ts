import { Method, Service, type DashboardSnapshot } from '../../../src';
import { Harness } from '../../helpers/apps';

@Service('Clock')
class ClockService {
  @Method()
  tick(): number {
    return 1;
  }
}

/** Reads server-sent events from `url` until `count` data events arrived; returns them and when each came. */
async function readEvents(url: string, count: number): Promise<{ events: DashboardSnapshot[]; at: number[]; headers: Headers; retry: string[] }> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: DashboardSnapshot[] = [];
  const at: number[] = [];
  const retry: string[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) {
          events.push(JSON.parse(line.slice(6)) as DashboardSnapshot);
          at.push(Date.now());
        } else if (line.startsWith('retry: ')) retry.push(line.slice(7));
      }
    }
  }
  ac.abort();
  await reader.cancel().catch(() => undefined);
  return { events, at, headers: res.headers, retry };
}

const h = new Harness();
afterAll(() => h.close());

describe('the dashboard page and its event stream', () => {
  let base: string;
  beforeAll(async () => {
    const { httpPort } = await h.serve({ services: [ClockService], http: { port: 0 } });
    base = `http://127.0.0.1:${httpPort}`;
  });

  it('serves one self-contained page: its script and stylesheet from this server, nothing from elsewhere', async () => {
    const res = await fetch(`${base}/rivet/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['dashboard.js', 'dashboard.css']) {
      expect(html).toContain(asset);
      const a = await fetch(`${base}/rivet/${asset}`);
      expect(a.status).toBe(200);
      expect((await a.text()).length).toBeGreaterThan(500);
      // Opened with a trailing slash, the page's relative links resolve one level down; they work there too.
      const nested = await fetch(`${base}/rivet/dashboard/${asset}`);
      expect(nested.status).toBe(200);
      await nested.text();
    }
    // The script reads the stream in a worker of its own, served with its own policy.
    const worker = await fetch(`${base}/rivet/dashboard-worker.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(worker.headers.get('content-security-policy')).toBe("default-src 'none'; connect-src 'self'");
    expect(await worker.text()).toContain("new EventSource('events')");
    // Opened as /rivet/dashboard/, the worker and its stream resolve one level down; they work there too.
    const nestedWorker = await fetch(`${base}/rivet/dashboard/dashboard-worker.js`);
    expect(nestedWorker.status).toBe(200);
    await nestedWorker.text();
    const head = await fetch(`${base}/rivet/dashboard/events`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream');
  });

  it('streams a snapshot at once and then about one a second, with the methods, health and readiness', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/rpc/Clock/tick`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      await r.text();
    }
    const started = Date.now();
    const { events, at, headers, retry } = await readEvents(`${base}/rivet/events`, 3);
    expect(headers.get('content-type')).toBe('text/event-stream');
    expect(retry).toEqual(['1000']);
    expect(at[0] - started).toBeLessThan(1_000);
    // Two intervals of about a second each: bounded loosely, for a busy machine.
    expect(at[2] - at[0]).toBeGreaterThanOrEqual(1_500);
    expect(at[2] - at[0]).toBeLessThan(6_000);
    const last = events[2];
    expect(last.app).toMatchObject({ health: 'SERVING', ready: true, services: [{ name: 'Clock', status: 'SERVING' }] });
    // The server's load, as app.load() reports it (docs/overload.md).
    expect(last.app.load).toEqual({ concurrency: 0, limit: expect.any(Number), queued: 0, shedPerSecond: 0, eventLoopUtilization: expect.any(Number) });
    expect(last.methods).toEqual([expect.objectContaining({ service: 'Clock', method: 'tick', calls: 3, errors: 0, inFlight: 0 })]);
    expect(last.methods[0].p50Ms).toBeGreaterThan(0);
    expect(last.methods[0].spark).toHaveLength(59);
    expect(last.registry).toEqual([{ service: 'Clock', instances: [expect.objectContaining({ address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) })] }]);
  });
});
