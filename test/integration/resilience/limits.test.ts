import { LedgerService } from '../../fixtures/resilience/ledger-service';
import { prefer, rejection, watchLoopStalls } from '../../fixtures/resilience/support';
import { Harness, waitFor } from '../../helpers/apps';

const HANG = { 'x-hang': '1' };

describe('bulkheads and rate limits', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('client bulkhead: runs maxConcurrent, queues maxQueue, refuses the rest at once with RESOURCE_EXHAUSTED', async () => {
    const { app, address } = await h.serve({ services: [LedgerService] });
    const svc = app.get(LedgerService);
    const client = h.client({ endpoints: { Ledger: [address] }, policy: { bulkhead: { maxConcurrent: 2, maxQueue: 1 } } });
    const stops = [new AbortController(), new AbortController(), new AbortController()];
    const held = stops.map((s, i) => rejection(client.invoke('Ledger', 'read', [`held${i}`], { metadata: HANG, signal: s.signal })));
    await waitFor(() => svc.runs.length === 2, 2_000, 'two calls to run');

    const stalls = watchLoopStalls();
    const started = performance.now();
    const err = await rejection(client.invoke('Ledger', 'read', ['over']));
    expect(performance.now() - started).toBeLessThan(20 + stalls.stop());
    expect(err).toMatchObject({ code: 'RESOURCE_EXHAUSTED', notProcessed: true, stoppedBy: 'bulkhead', details: { reason: 'BULKHEAD_FULL' } });
    expect(err.attempts).toEqual([]);
    expect(svc.runs.map((r) => r.key)).toEqual(['held0', 'held1']);

    // A slot frees: the queued call runs, not a newcomer.
    stops[0].abort();
    await waitFor(() => svc.runs.length === 3, 2_000, 'the queued call to run');
    expect(svc.runs[2].key).toBe('held2');
    stops[1].abort();
    stops[2].abort();
    for (const e of await Promise.all(held)) expect(e.code).toBe('CANCELLED');
  });

  it('server @Bulkhead: refuses past maxConcurrent + maxQueue as not processed, so another endpoint can take the call', async () => {
    const full = await h.serve({ services: [LedgerService] });
    const spare = await h.serve({ services: [LedgerService] });
    const fullSvc = full.app.get(LedgerService);
    const direct = h.client({ endpoints: { Ledger: [full.address] }, policy: { retry: false } });
    const stops = [new AbortController(), new AbortController(), new AbortController()];
    const held = stops.map((s, i) => rejection(direct.invoke('Ledger', 'guarded', [`g${i}`], { metadata: HANG, signal: s.signal })));
    await waitFor(() => fullSvc.runs.length === 2, 2_000, 'two guarded calls to run');

    const err = await rejection(direct.invoke('Ledger', 'guarded', ['over']));
    expect(err).toMatchObject({ code: 'RESOURCE_EXHAUSTED', notProcessed: true });
    expect(err.details).toEqual({ reason: 'BULKHEAD_FULL' });
    expect(fullSvc.runs).toHaveLength(2);

    // The same refusal, with retries on, goes to the other endpoint.
    const client = h.client({ endpoints: { Ledger: [full.address, spare.address] }, policy: { balancer: prefer(() => full.address), retry: { initialBackoffMs: 1 } } });
    await expect(client.invoke('Ledger', 'guarded', ['elsewhere'])).resolves.toEqual({ key: 'elsewhere', attempt: '2' });
    expect(spare.app.get(LedgerService).runs.map((r) => r.key)).toEqual(['elsewhere']);

    for (const s of stops) s.abort();
    await Promise.all(held);
  });

  it('@RateLimit: refuses past the burst with RESOURCE_EXHAUSTED and retryAfterMs, before the handler runs', async () => {
    const { app, address } = await h.serve({ services: [LedgerService] });
    const svc = app.get(LedgerService);
    const client = h.client({ endpoints: { Ledger: [address] }, policy: { retry: false } });
    const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => client.invoke('Ledger', 'limited', [`l${i}`])));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as { code: string; notProcessed: boolean; details: { reason: string; retryAfterMs: number } }] : []));
    expect(refused).toHaveLength(2);
    for (const e of refused) {
      expect(e).toMatchObject({ code: 'RESOURCE_EXHAUSTED', notProcessed: true, details: { reason: 'RATE_LIMITED' } });
      // 5 per second: a token is due within 200 ms.
      expect(e.details.retryAfterMs).toBeGreaterThan(0);
      expect(e.details.retryAfterMs).toBeLessThanOrEqual(200);
    }
    expect(svc.runsOf('limited')).toHaveLength(3);
  });

  it('@RateLimit: a retrying client waits retryAfterMs and then gets through', async () => {
    const { app, address } = await h.serve({ services: [LedgerService] });
    const svc = app.get(LedgerService);
    const client = h.client({ endpoints: { Ledger: [address] }, policy: { retry: { initialBackoffMs: 1 } } });
    for (let i = 0; i < 3; i++) await client.invoke('Ledger', 'limited', [`burst${i}`]);
    const started = performance.now();
    await expect(client.invoke('Ledger', 'limited', ['patient'])).resolves.toEqual({ key: 'patient', attempt: '2' });
    // The bucket had just emptied: a token was about 200 ms away.
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(svc.runsOf('limited').map((r) => r.key)).toEqual(['burst0', 'burst1', 'burst2', 'patient']);
  });
});
