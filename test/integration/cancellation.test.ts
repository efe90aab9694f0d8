import * as net from 'node:net';
import { currentContext, Method, RemoteService, Service, type Remote, type RpcError } from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { failure, Harness, waitFor } from '../helpers/apps';
import { type LoopLag, watchLoopLag } from '../helpers/loop-lag';

// How long after abort() the caller may wait for its rejection: the rejection is local and
// immediate, so this is only scheduling slack.
const PROMPT_MS = 50;
// Plus the time this process's event loop was measured to have lost meanwhile (a busy machine).

/** Waits for `signal` to abort, then rejects with its reason. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

@Service('Leaf')
class LeafService {
  readonly started: string[] = [];
  readonly aborted: Array<{ code: string; at: number }> = [];

  @Method()
  async hang(key: string): Promise<never> {
    const ctx = currentContext()!;
    this.started.push(key);
    try {
      return await untilAborted(ctx.signal);
    } finally {
      this.aborted.push({ code: (ctx.signal.reason as RpcError).code, at: performance.now() });
    }
  }
}

@Service('Branch')
class BranchService {
  constructor(@RemoteService(LeafService) private readonly leaf: Remote<LeafService>) {}

  /** Calls Leaf with no signal of its own: cancellation must be inherited. */
  @Method()
  async relay(key: string): Promise<never> {
    return this.leaf.hang(key);
  }
}


describe('cancellation', () => {
  const h = new Harness();
  let lag: LoopLag;
  beforeEach(() => {
    lag = watchLoopLag();
  });
  afterEach(() => {
    lag.stop();
    return h.close();
  });

  it("aborts the handler's signal with CANCELLED and rejects the caller at once when the caller aborts", async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const ac = new AbortController();
    const call = failure(client.invoke('Fixture', 'behave', ['hang'], { signal: ac.signal, metadata: { 'x-hang': '1' } }));
    await waitFor(() => log.started.includes('hang'), 2_000, 'the handler to start');

    const abortedAt = performance.now();
    ac.abort();
    const { err, at } = await call;
    expect(err.code).toBe('CANCELLED');
    expect(at - abortedAt).toBeLessThanOrEqual(PROMPT_MS + lag.within(abortedAt, at));
    // Only a cancel frame can abort the handler: its deadline is 10 s away.
    await waitFor(() => log.aborted.length > 0, 2_000, 'the handler to see the cancel');
    expect(log.aborted).toEqual([{ key: 'hang', reason: 'CANCELLED' }]);
    expect(log.finished).toEqual([]);
  });

  it('rejects with CANCELLED whatever reason the caller aborts with', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const ac = new AbortController();
    const call = failure(client.invoke('Fixture', 'behave', ['reason'], { signal: ac.signal, metadata: { 'x-hang': '1' } }));
    await waitFor(() => log.started.includes('reason'), 2_000, 'the handler to start');
    ac.abort(new Error('user navigated away'));
    const { err } = await call;
    expect(err.code).toBe('CANCELLED');
    await waitFor(() => log.aborted.length > 0, 2_000, 'the handler to see the cancel');
    expect(log.aborted).toEqual([{ key: 'reason', reason: 'CANCELLED' }]);
  });

  it('never sends a call whose signal is already aborted', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const { err } = await failure(client.invoke('Fixture', 'behave', ['never'], { signal: AbortSignal.abort() }));
    expect(err.code).toBe('CANCELLED');
    expect(err.notProcessed).toBe(true);
    // Calls on one connection arrive in order: once a later call has run, the first one never will.
    await client.invoke('Fixture', 'behave', ['after']);
    expect(log.started).toEqual(['after']);
  });

  it('cancels only the aborted call; the others on the same connection finish', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const ac = new AbortController();
    const metadata = { 'x-delay-ms': '150' };
    const cancelled = failure(client.invoke('Fixture', 'behave', ['cancelled'], { signal: ac.signal, metadata }));
    const kept = client.invoke('Fixture', 'behave', ['kept'], { metadata });
    await waitFor(() => log.started.length === 2, 2_000, 'both handlers to start');
    ac.abort();
    expect((await cancelled).err.code).toBe('CANCELLED');
    await expect(kept).resolves.toMatchObject({ key: 'kept' });
    expect(log.finished).toEqual(['kept']);
    expect(log.aborted).toEqual([{ key: 'cancelled', reason: 'CANCELLED' }]);
  });

  it('ignores an abort that comes after the reply', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const ac = new AbortController();
    await expect(client.invoke('Fixture', 'behave', ['done'], { signal: ac.signal })).resolves.toMatchObject({ key: 'done' });
    ac.abort();
    await expect(client.invoke('Fixture', 'behave', ['next'])).resolves.toMatchObject({ key: 'next' });
    expect(log.aborted).toEqual([]);
    expect(log.finished).toEqual(['done', 'next']);
  });

  it('rejects promptly with CANCELLED when aborted while still connecting', async () => {
    const silent = await silentServer();
    try {
      const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${silent.port}`] } });
      const ac = new AbortController();
      const call = failure(client.invoke('Fixture', 'echo', [1], { signal: ac.signal }));
      await waitFor(() => silent.accepted() > 0, 2_000, 'the connection to be accepted');
      const abortedAt = performance.now();
      ac.abort();
      const { err, at } = await call;
      expect(err.code).toBe('CANCELLED');
      expect(at - abortedAt).toBeLessThanOrEqual(PROMPT_MS + lag.within(abortedAt, at));
    } finally {
      await silent.close();
    }
  });

  it('cancels the calls a handler made when its own call is cancelled', async () => {
    const leafApp = await h.serve({ services: [LeafService] });
    await h.serve({ services: [BranchService] });
    const leaf = leafApp.app.get(LeafService);
    const client = h.client();
    const ac = new AbortController();
    const call = failure(client.invoke('Branch', 'relay', ['nested'], { signal: ac.signal }));
    await waitFor(() => leaf.started.includes('nested'), 2_000, 'the downstream handler to start');

    const abortedAt = performance.now();
    ac.abort();
    expect((await call).err.code).toBe('CANCELLED');
    await waitFor(() => leaf.aborted.length > 0, 2_000, 'the downstream handler to be cancelled');
    expect(leaf.aborted.map((a) => a.code)).toEqual(['CANCELLED']);
    expect(leaf.aborted[0].at - abortedAt).toBeLessThanOrEqual(PROMPT_MS + lag.within(abortedAt, leaf.aborted[0].at));
  });
});

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
