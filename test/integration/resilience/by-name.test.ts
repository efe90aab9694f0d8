import type { InterceptorFn } from '../../../src';
import { LedgerService } from '../../fixtures/resilience/ledger-service';
import { rejection, TcpRelay, watchLoopStalls } from '../../fixtures/resilience/support';
import { Harness } from '../../helpers/apps';

// A client calling by name (createClient + invoke) has no class to read; it learns each method's
// idempotent flag and timeout from the server's handshake, and then behaves like a typed proxy.
describe('calls by name', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function both() {
    const { app, address } = await h.serve({ services: [LedgerService] });
    const policy = { breaker: false as const, retry: { initialBackoffMs: 1 } };
    const byName = h.client({ endpoints: { Ledger: [address] }, policy });
    // A typed proxy takes no per-call metadata: this client interceptor adds `typedMetadata`.
    const typedMetadata: Record<string, string> = {};
    const addMetadata: InterceptorFn = (ctx, next) => {
      Object.assign(ctx.metadata, typedMetadata);
      return next();
    };
    const typed = h.client({ endpoints: { Ledger: [address] }, policy }).proxy(LedgerService, { interceptors: [addMetadata] });
    return { svc: app.get(LedgerService), byName, typed, typedMetadata };
  }

  it('retries an idempotent method and not the others, as the typed proxy does', async () => {
    const { svc, byName, typed, typedMetadata } = await both();
    const md = { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1' };
    // The very first call: nothing is known before the connection's handshake.
    await expect(byName.invoke('Ledger', 'read', ['n-read'], { metadata: md })).resolves.toEqual({ key: 'n-read', attempt: '2' });
    expect((await rejection(byName.invoke('Ledger', 'append', ['n-append'], { metadata: md }))).stoppedBy).toBe('notIdempotent');
    expect(svc.runsOf('read')).toHaveLength(2);
    expect(svc.runsOf('append')).toHaveLength(1);
    Object.assign(typedMetadata, md);
    await expect(typed.read('t-read')).resolves.toEqual({ key: 't-read', attempt: '2' });
    expect((await rejection(typed.append('t-append'))).stoppedBy).toBe('notIdempotent');
  });

  it.each([
    ['the first call', 0],
    ['a later call', 1],
  ])("keeps the method's advertised timeout as the whole call's deadline, on %s", async (_, warmCalls) => {
    const { svc, byName, typed, typedMetadata } = await both();
    for (let i = 0; i < warmCalls; i++) await byName.invoke('Ledger', 'read', [`warm${i}`]);
    const hang = { metadata: { 'x-hang': '1' } };
    Object.assign(typedMetadata, hang.metadata);
    const stalls = watchLoopStalls();
    let started = performance.now();
    const viaProxy = await rejection(typed.bounded('t-bounded'));
    const proxyMs = performance.now() - started;
    started = performance.now();
    const viaName = await rejection(byName.invoke('Ledger', 'bounded', ['n-bounded'], hang));
    const nameMs = performance.now() - started;

    expect(viaProxy.code).toBe('DEADLINE_EXCEEDED');
    expect(viaName.code).toBe('DEADLINE_EXCEEDED');
    // One attempt each, ending at about 100 ms: a server-side timeout is not retried past the method's own.
    expect(svc.runsOf('bounded').map((r) => r.key)).toEqual(['t-bounded', 'n-bounded']);
    const stallMs = stalls.stop();
    for (const ms of [proxyMs, nameMs]) {
      expect(ms).toBeGreaterThanOrEqual(95);
      // Far under the 200 ms a second attempt would take.
      expect(ms).toBeLessThan(100 + 60 + stallMs);
    }
  });

  it('after learning, cuts a call at the method timeout on its own, even when the server never answers', async () => {
    const { app, port } = await h.serve({ services: [LedgerService] });
    const relay = await TcpRelay.start(port);
    try {
      const byName = h.client({ endpoints: { Ledger: [relay.address] } });
      await byName.invoke('Ledger', 'bounded', ['learn']);
      // From now on nothing comes back: only the client's own deadline can end the call.
      relay.holdReplies();
      const stalls = watchLoopStalls();
      const started = performance.now();
      const err = await rejection(byName.invoke('Ledger', 'bounded', ['silent'], { metadata: { 'x-hang': '1' } }));
      const elapsedMs = performance.now() - started;
      expect(err).toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { reason: 'DEADLINE' } });
      expect(elapsedMs).toBeGreaterThanOrEqual(95);
      expect(elapsedMs).toBeLessThan(100 + 60 + stalls.stop());
      expect(app.get(LedgerService).runsOf('bounded').map((r) => r.key)).toEqual(['learn', 'silent']);
    } finally {
      await relay.close();
    }
  });
});
