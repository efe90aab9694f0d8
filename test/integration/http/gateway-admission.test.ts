import { type App, Method, Service } from '../../../src';
import { Harness } from '../../helpers/apps';
import { postJson } from '../../helpers/http';

/** An async handler that holds its slot for the time it is asked to. */
@Service('Slow')
class SlowService {
  runs = 0;

  @Method()
  async hold(ms: number): Promise<number> {
    this.runs++;
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  }
}

describe('HTTP gateway calls go through admission, as wire calls do', () => {
  const h = new Harness();
  afterEach(() => h.close());

  /** An app serving Slow over HTTP with these admission options, and its gateway's base URL. */
  async function serve(admission: false | { limit: number; maxQueueMs: number }): Promise<{ app: App; base: string }> {
    const { app, httpPort } = await h.serve({ services: [SlowService], admission, http: { port: 0 } });
    return { app, base: `http://127.0.0.1:${httpPort}` };
  }

  const post = (base: string, args: unknown[], headers?: Record<string, string>): ReturnType<typeof postJson> => postJson(base, '/rpc/Slow/hold', args, headers);

  /** Starts a call that holds the one slot for `ms`, and gives it 50 ms to take it; `holder` is its reply. */
  async function holdSlot(base: string, ms: number): Promise<{ holder: ReturnType<typeof postJson> }> {
    const holder = post(base, [ms]);
    await new Promise((r) => setTimeout(r, 50));
    return { holder };
  }

  it('an overloaded server answers 429 OVERLOADED with Retry-After, runs nothing it refused, and serves again after', async () => {
    // One async call at a time, and no call waits longer than 20 ms for its turn.
    const { app, base } = await serve({ limit: 1, maxQueueMs: 20 });
    const svc = app.get(SlowService);
    const { holder } = await holdSlot(base, 400);
    const refused = await Promise.all(Array.from({ length: 5 }, () => post(base, [1])));
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.body.code).toBe('RESOURCE_EXHAUSTED');
      expect(r.body.details.reason).toBe('OVERLOADED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await holder).status).toBe(200);
    // Only the holder ran; the refused calls never reached the handler.
    expect(svc.runs).toBe(1);
    const after = await post(base, [1]);
    expect(after).toMatchObject({ status: 200, body: 1 });
    expect(svc.runs).toBe(2);
  }, 20_000);

  it('a call whose deadline cannot be met is answered 504 at once and does not run', async () => {
    const { app, base } = await serve({ limit: 1, maxQueueMs: 1_000 });
    const { holder } = await holdSlot(base, 300);
    // Queued behind the holder with a 30 ms budget: it expires in the queue and never starts.
    const t0 = performance.now();
    const late = await post(base, [1], { 'rivet-timeout-ms': '30' });
    expect(late.status).toBe(504);
    expect(late.body.code).toBe('DEADLINE_EXCEEDED');
    expect(performance.now() - t0).toBeLessThan(290);
    expect((await holder).status).toBe(200);
    expect(app.get(SlowService).runs).toBe(1);
  }, 20_000);

  it('queues a call while the limit is full and runs it when a slot frees, within its deadline', async () => {
    const { app, base } = await serve({ limit: 1, maxQueueMs: 2_000 });
    const results = await Promise.all([post(base, [100]), post(base, [100]), post(base, [100])]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(app.get(SlowService).runs).toBe(3);
    expect(app.load().concurrency).toBe(0);
    expect(app.load().queued).toBe(0);
  }, 20_000);

  it('a closing server waits for a queued gateway call, and stops it when the drain times out: no caller left hanging', async () => {
    const { app, base } = await serve({ limit: 1, maxQueueMs: 5_000 });
    const { holder } = await holdSlot(base, 2_000);
    const queued = post(base, [1]);
    await new Promise((r) => setTimeout(r, 50));
    expect(app.load().queued).toBe(1);
    const t0 = performance.now();
    await app.close({ drainTimeoutMs: 200 });
    // Both settled by the drain's timeout rather than by the holder's 2 s: answered, or cut off.
    const settled = await Promise.allSettled([holder, queued]);
    expect(performance.now() - t0).toBeLessThan(1_500);
    for (const r of settled) {
      if (r.status === 'fulfilled') expect(r.value.status).toBe(503);
    }
    expect(app.get(SlowService).runs).toBe(1);
  }, 20_000);

  it('with admission: false nothing is refused', async () => {
    const { app, base } = await serve(false);
    const results = await Promise.all(Array.from({ length: 6 }, () => post(base, [100])));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(app.get(SlowService).runs).toBe(6);
  }, 20_000);
});
