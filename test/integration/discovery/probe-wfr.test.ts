import { createApp, type App } from '../../../src';
import { failWhile, labelledService } from '../../fixtures/cluster/labelled-service';
import { Harness, rejection, waitFor } from '../../helpers/apps';

describe('probe waitForReady', () => {
  const h = new Harness();
  const extra: App[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((a) => a.close({ drainTimeoutMs: 1_000 })));
    await h.close();
  });

  it('draining fixed endpoint: waits, then a new server on the address takes it', async () => {
    const first = await h.serve({ services: [labelledService('a')] });
    const client = h.client({ endpoints: { Fixture: [first.address] }, policy: { waitForReady: true, timeoutMs: 15_000 } });
    await expect(client.invoke('Fixture', 'whoami')).resolves.toBe('a');
    // hold a call so the drain lasts
    const slow = client.invoke('Fixture', 'behave', ['k'], { metadata: { 'x-delay-ms': '1500' } });
    await new Promise((r) => setTimeout(r, 100));
    const closing = first.app.close({ drainTimeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const call = client.invoke('Fixture', 'whoami');
    let settled = false;
    call.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    console.log('settled early?', settled, client.endpoints('Fixture'));
    await slow;
    await closing;
    const app = await createApp({ services: [labelledService('b')], logger: false, registry: h.registry });
    extra.push(app);
    await app.listen(first.port, '127.0.0.1');
    const v = await call.catch((e) => e);
    console.log('result', v, performance.now() - t0);
    expect(v).toBe('b');
  });

  it('all ejected: waitForReady waits for ejection to end', async () => {
    let sick = true;
    const a = await h.serve({ services: [labelledService('a')], interceptors: [failWhile(() => sick)] });
    const b = await h.serve({ services: [labelledService('b')], interceptors: [failWhile(() => sick)] });
    const policy = { retry: false as const, breaker: false as const, balancer: 'round-robin' as const, outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 1_500, maxEjectedPercent: 100 } };
    const c = h.client({ endpoints: { Fixture: [a.address, b.address] }, policy });
    for (let i = 0; i < 4; i++) await c.invoke('Fixture', 'whoami').catch(() => undefined);
    console.log(c.endpoints('Fixture'));
    expect(c.endpoints('Fixture').every((e) => e.ejected)).toBe(true);
    sick = false;
    const fast = await rejection(c.invoke('Fixture', 'whoami'));
    console.log('no wfr:', fast.code, fast.message, fast.details);
    const w = c.proxy<{ whoami(): Promise<string> }>('Fixture', { waitForReady: true, timeoutMs: 10_000 });
    const t0 = performance.now();
    const v = await w.whoami();
    console.log('wfr got', v, performance.now() - t0);
    expect(['a', 'b']).toContain(v);
  });

  it('ejected with short deadline: DEADLINE_EXCEEDED', async () => {
    let sick = true;
    const a = await h.serve({ services: [labelledService('a')], interceptors: [failWhile(() => sick)] });
    const policy = { retry: false as const, breaker: false as const, outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 5_000, maxEjectedPercent: 100 } };
    const c = h.client({ endpoints: { Fixture: [a.address] }, policy });
    for (let i = 0; i < 2; i++) await c.invoke('Fixture', 'whoami').catch(() => undefined);
    expect(c.endpoints('Fixture').every((e) => e.ejected)).toBe(true);
    sick = false;
    const w = c.proxy<{ whoami(): Promise<string> }>('Fixture', { waitForReady: true, timeoutMs: 500 });
    const err = await rejection(w.whoami());
    console.log('ejected deadline', err.code, err.message, err.details);
    expect(err.code).toBe('DEADLINE_EXCEEDED');
  });
});
