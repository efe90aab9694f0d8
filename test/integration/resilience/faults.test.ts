import { faults } from '../../../src/testing';
import { LedgerService } from '../../fixtures/resilience/ledger-service';
import { rejection, watchLoopStalls } from '../../fixtures/resilience/support';
import { Harness, waitFor } from '../../helpers/apps';

describe("faults() from 'rivet-rpc/testing'", () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function faulty(options: Parameters<typeof faults>[0]) {
    const { app, address } = await h.serve({ services: [LedgerService], interceptors: [faults(options)] });
    const client = h.client({ endpoints: { Ledger: [address] }, policy: { retry: false, breaker: false } });
    return { svc: app.get(LedgerService), client, address };
  }

  it('fails calls with the chosen code before the handler runs, like a handler that failed', async () => {
    const { svc, client } = await faulty({ failRate: 1, code: 'RESOURCE_EXHAUSTED' });
    const err = await rejection(client.invoke('Ledger', 'read', ['x']));
    expect(err).toMatchObject({ code: 'RESOURCE_EXHAUSTED', notProcessed: false, details: { reason: 'FAULT_INJECTED' } });
    expect(svc.runs).toHaveLength(0);
  });

  it('fails about failRate of the calls (UNAVAILABLE by default)', async () => {
    const { svc, client } = await faulty({ failRate: 0.5 });
    const settled = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => client.invoke('Ledger', 'read', [`r${i}`])));
    const failed = settled.filter((s) => s.status === 'rejected');
    // 400 draws at 0.5: 200 ± 10 (one standard deviation); ± 60 fails about once in 10^9 runs.
    expect(failed.length).toBeGreaterThan(140);
    expect(failed.length).toBeLessThan(260);
    for (const f of failed) expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'UNAVAILABLE' });
    expect(svc.runs).toHaveLength(400 - failed.length);
  });

  it('adds latencyMs to each call, and the wait ends with the call', async () => {
    const { svc, client } = await faulty({ latencyMs: 100 });
    let started = performance.now();
    await client.invoke('Ledger', 'read', ['slow']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(99);
    const stalls = watchLoopStalls();
    started = performance.now();
    expect((await rejection(client.invoke('Ledger', 'read', ['cut'], { timeoutMs: 30 }))).code).toBe('DEADLINE_EXCEEDED');
    expect(performance.now() - started).toBeLessThan(30 + 50 + stalls.stop());
    expect(svc.runs.map((r) => r.key)).toEqual(['slow']);
  });

  it('covers only the listed methods', async () => {
    const { svc, client } = await faulty({ failRate: 1, methods: ['Ledger.append', 'limited'] });
    await expect(client.invoke('Ledger', 'read', ['ok'])).resolves.toEqual({ key: 'ok', attempt: undefined });
    expect((await rejection(client.invoke('Ledger', 'append', ['no']))).details).toEqual({ reason: 'FAULT_INJECTED' });
    expect((await rejection(client.invoke('Ledger', 'limited', ['no']))).details).toEqual({ reason: 'FAULT_INJECTED' });
    expect(svc.runs.map((r) => r.key)).toEqual(['ok']);
  });

  it('drops the connection the call came on: it and every call in flight on it fail with CONNECTION_LOST, and the client reconnects', async () => {
    const { svc, client } = await faulty({ dropConnection: 1, methods: ['append'] });
    const inFlight = rejection(client.invoke('Ledger', 'read', ['bystander'], { metadata: { 'x-hang': '1' } }));
    await waitFor(() => svc.runs.length === 1, 2_000, 'the bystander to run');
    const dropped = await rejection(client.invoke('Ledger', 'append', ['dropper']));
    expect(dropped).toMatchObject({ code: 'UNAVAILABLE', notProcessed: false, details: { reason: 'CONNECTION_LOST' } });
    expect(await inFlight).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'CONNECTION_LOST' } });
    // The server's handler of the bystander was stopped with the connection.
    await waitFor(() => svc.aborted.length === 1, 2_000, 'the bystander to be aborted');
    await expect(client.invoke('Ledger', 'read', ['after'])).resolves.toEqual({ key: 'after', attempt: undefined });
  });

  it("does nothing on the client side of an app's global interceptors", async () => {
    const ledger = await h.serve({ services: [LedgerService] });
    // This app serves nothing; its own client calls the Ledger through its global interceptors.
    const caller = await h.serve({ services: [], interceptors: [faults({ failRate: 1 })] });
    await expect(caller.app.rpc.invoke('Ledger', 'read', ['through'])).resolves.toEqual({ key: 'through', attempt: undefined });
    expect(ledger.app.get(LedgerService).runs).toHaveLength(1);
  });
});
