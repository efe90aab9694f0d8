import { createApp, MemoryRegistry, Method, Service, type Instance, type Registry } from '../../../src';
import { setTimeout as delay } from 'node:timers/promises';
import { Harness, waitFor } from '../../helpers/apps';

@Service('Kitchen')
class KitchenService {
  cooking = 0;

  @Method()
  async cook(ms: number): Promise<string> {
    this.cooking++;
    await delay(ms);
    return 'done';
  }
}

@Service('Bar')
class BarService {
  @Method()
  pour(): string {
    return 'poured';
  }
}

async function get(base: string, path: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** A registry whose register() waits until released, to see the app between listen and registration. */
class GatedRegistry extends MemoryRegistry implements Registry {
  private release!: () => void;
  readonly gate = new Promise<void>((r) => (this.release = r));
  open(): void {
    this.release();
  }
  override async register(instance: Instance): Promise<void> {
    await this.gate;
    return super.register(instance);
  }
}

describe('HTTP probes', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('answers /livez 200 and /readyz 200 once listening, registered and SERVING', async () => {
    const { httpPort } = await h.serve({ services: [KitchenService], http: { port: 0 } });
    const base = `http://127.0.0.1:${httpPort}`;
    expect(await get(base, '/livez')).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await get(base, '/readyz')).toMatchObject({ status: 200, text: 'ok\n' });
    const verbose = await get(base, '/readyz?verbose');
    expect(verbose.status).toBe(200);
    expect(verbose.type).toMatch(/^text\/plain/);
    expect(verbose.text.split('\n')).toEqual(['[+]listening ok', '[+]registered ok', '[+]health ok', 'readyz check passed', '']);
  });

  it('answers /readyz 503 until the app is registered in its registry', async () => {
    const registry = new GatedRegistry();
    const app = await createApp({ services: [KitchenService], registry, logger: false, http: { port: 0 } });
    const listening = app.listen(0, '127.0.0.1');
    // The HTTP server is up before registration finishes.
    await waitFor(() => app.httpPort !== undefined, 5_000, 'http server to listen');
    const base = `http://127.0.0.1:${app.httpPort}`;
    const before = await get(base, '/readyz?verbose');
    expect(before.status).toBe(503);
    expect(before.text).toContain('[-]registered failed: not registered in the registry');
    expect(before.text).toContain('[+]listening ok');
    expect((await get(base, '/livez')).status).toBe(200);
    registry.open();
    await listening;
    expect((await get(base, '/readyz')).status).toBe(200);
    await app.close();
  });

  it("answers /readyz 503 after app.setHealth(..., 'NOT_SERVING') and 200 again after SERVING", async () => {
    const { app, httpPort } = await h.serve({ services: [KitchenService, BarService], http: { port: 0 } });
    const base = `http://127.0.0.1:${httpPort}`;
    app.setHealth('Bar', 'NOT_SERVING');
    const r = await get(base, '/readyz?verbose');
    expect(r.status).toBe(503);
    expect(r.text).toContain('[-]health failed: NOT_SERVING: Bar');
    const plain = await get(base, '/readyz');
    expect(plain.status).toBe(503);
    expect(plain.text).toContain('readyz check failed');
    expect((await get(base, '/livez')).status).toBe(200);
    app.setHealth('Bar', 'SERVING');
    expect((await get(base, '/readyz')).status).toBe(200);
  });

  it('answers /readyz 503 while the app drains, and refuses new gateway calls with 503', async () => {
    const app = await createApp({ services: [KitchenService], registry: new MemoryRegistry(), logger: false, http: { port: 0 } });
    const { httpPort } = await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${httpPort}`;
    const slow = fetch(`${base}/rpc/Kitchen/cook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[600]' });
    // The slow call is in its handler before the drain starts.
    const kitchen = app.get(KitchenService);
    await waitFor(() => kitchen.cooking === 1, 5_000, 'the slow call to start');
    const closing = app.close({ drainTimeoutMs: 5_000 });
    const during = await get(base, '/readyz?verbose');
    expect(during.status).toBe(503);
    expect(during.text).toMatch(/\[-\]health failed: draining/);
    const refused = await fetch(`${base}/rpc/Kitchen/cook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { details: { reason: string } }).details.reason).toBe('SERVER_DRAINING');
    // The call that was running finishes and is answered before the HTTP server stops.
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('done');
    await closing;
    await expect(fetch(`${base}/livez`)).rejects.toThrow();
  });

  it('answers HEAD and refuses POST on the probes', async () => {
    const { httpPort } = await h.serve({ services: [KitchenService], http: { port: 0 } });
    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/livez`, { method: 'HEAD' })).status).toBe(200);
    const post = await fetch(`${base}/readyz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.text();
  });

  it('serves no probes with health: false', async () => {
    const { httpPort } = await h.serve({ services: [KitchenService], http: { port: 0, health: false } });
    expect((await get(`http://127.0.0.1:${httpPort}`, '/readyz')).status).toBe(404);
  });
});
