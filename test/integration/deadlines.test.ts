import * as net from 'node:net';
import { currentContext, DEFAULT_DEADLINE_MS, Method, RemoteService, RpcError, Service, type Client, type Remote } from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { failure, Harness, waitFor } from '../helpers/apps';
import { type LoopLag, watchLoopLag } from '../helpers/loop-lag';

// How far a handler's view of its deadline may lag the caller's: one trip over loopback plus the
// rounding of the remaining time to whole milliseconds.
const TRANSIT_MS = 100;
// How late a timed-out call may reject after its deadline (the contract's bound), on a machine
// that lets this process run. Each bound adds the time this process's event loop was measured to
// have lost between the call's start and its end (a busy machine: other test workers, the CI's
// CPU burner), and nothing more: a call late for a reason of its own still fails.
const LATE_MS = 50;

type Behave = { key: string; remainingMs: number | undefined };

/** Waits for `signal` to abort, then rejects with its reason. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The remaining time of the call being handled, as the handler sees it. */
function remainingNow(): number {
  const ctx = currentContext();
  if (ctx === undefined || ctx.deadline === undefined) throw new Error('no deadline in the current context');
  return ctx.deadline - Date.now();
}

@Service('Timed')
class TimedService {
  /** A method that caps its own deadline. */
  @Method({ timeoutMs: 300 })
  async capped(hang: boolean): Promise<number> {
    const ctx = currentContext();
    if (hang && ctx !== undefined) await untilAborted(ctx.signal);
    return remainingNow();
  }
}

/** The service another one calls: records what each call saw, and hangs until aborted. */
@Service('Downstream')
class DownstreamService {
  readonly remaining: number[] = [];
  readonly aborted: Array<{ code: string; at: number }> = [];

  @Method()
  async hang(): Promise<never> {
    const ctx = currentContext()!;
    this.remaining.push(remainingNow());
    try {
      return await untilAborted(ctx.signal);
    } finally {
      this.aborted.push({ code: (ctx.signal.reason as RpcError).code, at: performance.now() });
    }
  }
}

@Service('Upstream')
class UpstreamService {
  readonly remaining: number[] = [];

  constructor(@RemoteService(DownstreamService) private readonly downstream: Remote<DownstreamService>) {}

  /** Calls Downstream without passing any deadline on: it must be inherited. */
  @Method()
  async relay(): Promise<never> {
    this.remaining.push(remainingNow());
    return this.downstream.hang();
  }
}


describe('deadlines', () => {
  const h = new Harness();
  let lag: LoopLag;
  beforeEach(() => {
    lag = watchLoopLag();
  });
  afterEach(() => {
    lag.stop();
    return h.close();
  });

  /** Serves Fixture and Timed on one port; the client is already connected, so no measured call includes connecting. */
  async function connectedClient(): Promise<Client> {
    const { address } = await h.serve({ services: [FixtureService, TimedService] });
    const client = h.client({ endpoints: { Fixture: [address], Timed: [address] } });
    await client.invoke('Fixture', 'echo', ['warm-up']);
    return client;
  }

  describe('where the deadline comes from', () => {
    it('gives a call with no timeout set the default deadline of 10 s', async () => {
      const client = await connectedClient();
      const r = (await client.invoke('Fixture', 'behave', ['default'])) as Behave;
      expect(DEFAULT_DEADLINE_MS).toBe(10_000);
      expect(r.remainingMs).toBeGreaterThan(DEFAULT_DEADLINE_MS - TRANSIT_MS);
      expect(r.remainingMs).toBeLessThanOrEqual(DEFAULT_DEADLINE_MS);
    });

    it('sends the per-call timeoutMs to the handler as its remaining time', async () => {
      const client = await connectedClient();
      const r = (await client.invoke('Fixture', 'behave', ['per-call'], { timeoutMs: 700 })) as Behave;
      expect(r.remainingMs).toBeGreaterThan(700 - TRANSIT_MS);
      expect(r.remainingMs).toBeLessThanOrEqual(700);
    });

    it('uses the proxy policy timeoutMs when it is the tightest', async () => {
      const fixture = (await connectedClient()).proxy<FixtureService>('Fixture', { timeoutMs: 600 });
      const r = await fixture.behave('policy');
      expect(r.remainingMs).toBeGreaterThan(600 - TRANSIT_MS);
      expect(r.remainingMs).toBeLessThanOrEqual(600);
    });

    it('uses a per-method policy timeoutMs over the proxy-wide one when it is tighter', async () => {
      const fixture = (await connectedClient()).proxy<FixtureService>('Fixture', {
        timeoutMs: 5_000,
        methods: { behave: { timeoutMs: 450 } },
      });
      const r = await fixture.behave('method-policy');
      expect(r.remainingMs).toBeGreaterThan(450 - TRANSIT_MS);
      expect(r.remainingMs).toBeLessThanOrEqual(450);
    });

    it('uses @Method({ timeoutMs }) when it is tighter than the policy', async () => {
      const timed = (await connectedClient()).proxy(TimedService, { timeoutMs: 5_000 });
      const remaining = await timed.capped(false);
      expect(remaining).toBeGreaterThan(300 - TRANSIT_MS);
      expect(remaining).toBeLessThanOrEqual(300);
    });

    it('times a call out on the client at the @Method timeoutMs when the proxy names the class', async () => {
      const timed = (await connectedClient()).proxy(TimedService, { timeoutMs: 5_000 });
      const start = performance.now();
      const { err, at } = await failure(timed.capped(true));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      expect(at - start).toBeGreaterThanOrEqual(300 - 2);
      expect(at - start).toBeLessThanOrEqual(300 + LATE_MS + lag.within(start, at));
    });

    it('caps the deadline at @Method({ timeoutMs }) on the server even when the caller knows only the name', async () => {
      const client = await connectedClient();
      const remaining = (await client.invoke('Timed', 'capped', [false], { timeoutMs: 5_000 })) as number;
      expect(remaining).toBeGreaterThan(300 - TRANSIT_MS);
      expect(remaining).toBeLessThanOrEqual(300);
    });

    it('uses the per-call timeoutMs when it is tighter than @Method({ timeoutMs })', async () => {
      const client = await connectedClient();
      const remaining = (await client.invoke('Timed', 'capped', [false], { timeoutMs: 150 })) as number;
      expect(remaining).toBeGreaterThan(150 - TRANSIT_MS);
      expect(remaining).toBeLessThanOrEqual(150);
    });

    it('uses the policy timeoutMs when it is tighter than @Method({ timeoutMs })', async () => {
      const timed = (await connectedClient()).proxy(TimedService, { timeoutMs: 200 });
      const remaining = await timed.capped(false);
      expect(remaining).toBeGreaterThan(200 - TRANSIT_MS);
      expect(remaining).toBeLessThanOrEqual(200);
    });
  });

  describe('the handler view', () => {
    it('has no current context outside a call', async () => {
      expect(currentContext()).toBeUndefined();
      const { address } = await h.serve({ services: [FixtureService] });
      const client = h.client({ endpoints: { Fixture: [address] } });
      await client.invoke('Fixture', 'behave', ['outside']);
      expect(currentContext()).toBeUndefined();
    });

    it("aborts the handler's signal with DEADLINE_EXCEEDED when the deadline passes", async () => {
      const { app, address } = await h.serve({ services: [FixtureService] });
      const log = app.get(FixtureService).log;
      const client = h.client({ endpoints: { Fixture: [address] } });
      // Several at once: whatever way the client's and the server's clocks interleave, the
      // handler must learn that time ran out, not that the caller gave up.
      const keys = ['hung-0', 'hung-1', 'hung-2', 'hung-3', 'hung-4', 'hung-5', 'hung-6', 'hung-7'];
      const calls = keys.map((key) => failure(client.invoke('Fixture', 'behave', [key], { timeoutMs: 150, metadata: { 'x-hang': '1' } })));
      for (const { err } of await Promise.all(calls)) expect(err.code).toBe('DEADLINE_EXCEEDED');
      await waitFor(() => log.aborted.length === keys.length, 2_000, 'every handler to see the abort');
      expect(new Set(log.aborted.map((a) => a.reason))).toEqual(new Set(['DEADLINE_EXCEEDED']));
      expect(log.finished).toEqual([]);
    });
  });

  describe('timing', () => {
    it.each([100, 250])('rejects a %i ms call with DEADLINE_EXCEEDED within 50 ms of its deadline', async (timeoutMs) => {
      const client = await connectedClient();
      const start = performance.now();
      const { err, at } = await failure(client.invoke('Fixture', 'behave', ['slow'], { timeoutMs, metadata: { 'x-hang': '1' } }));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      expect(at - start).toBeGreaterThanOrEqual(timeoutMs - 2);
      expect(at - start).toBeLessThanOrEqual(timeoutMs + LATE_MS + lag.within(start, at));
    });

    it('includes connecting in the deadline: a first call rejects on time too', async () => {
      const { address } = await h.serve({ services: [FixtureService] });
      const client = h.client({ endpoints: { Fixture: [address] } });
      const start = performance.now();
      const { err, at } = await failure(client.invoke('Fixture', 'behave', ['first'], { timeoutMs: 200, metadata: { 'x-hang': '1' } }));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      expect(at - start).toBeGreaterThanOrEqual(200 - 2);
      expect(at - start).toBeLessThanOrEqual(200 + LATE_MS + lag.within(start, at));
    });

    it('never outlives its deadline when the endpoint refuses connections', async () => {
      const port = await closedPort();
      const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${port}`] } });
      const start = performance.now();
      const { err, at } = await failure(client.invoke('Fixture', 'echo', [1], { timeoutMs: 200 }));
      expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain(err.code);
      if (err.code === 'UNAVAILABLE') expect(err.notProcessed).toBe(true);
      expect(at - start).toBeLessThanOrEqual(200 + LATE_MS + lag.within(start, at));
    });

    it('never outlives its deadline when the endpoint accepts but never answers the handshake', async () => {
      const silent = await silentServer();
      try {
        const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${silent.port}`] } });
        const start = performance.now();
        const { err, at } = await failure(client.invoke('Fixture', 'echo', [1], { timeoutMs: 200 }));
        expect(err.code).toBe('DEADLINE_EXCEEDED');
        expect(at - start).toBeGreaterThanOrEqual(200 - 2);
        expect(at - start).toBeLessThanOrEqual(200 + LATE_MS + lag.within(start, at));
      } finally {
        await silent.close();
      }
    });
  });

  describe('propagation to calls a handler makes', () => {
    it('gives a downstream call no more than what is left of the upstream deadline', async () => {
      const down = await h.serve({ services: [DownstreamService] });
      const up = await h.serve({ services: [UpstreamService] });
      const client = h.client();
      const { err } = await failure(client.invoke('Upstream', 'relay', [], { timeoutMs: 300 }));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      const [upstreamLeft] = up.app.get(UpstreamService).remaining;
      const [downstreamLeft] = down.app.get(DownstreamService).remaining;
      expect(upstreamLeft).toBeLessThanOrEqual(300);
      expect(downstreamLeft).toBeGreaterThan(0);
      expect(downstreamLeft).toBeLessThanOrEqual(upstreamLeft);
    });

    it("aborts the downstream handler's signal when the upstream deadline passes", async () => {
      const down = await h.serve({ services: [DownstreamService] });
      await h.serve({ services: [UpstreamService] });
      const client = h.client();
      await client.invoke('Upstream', 'relay', [], { timeoutMs: 200 }).catch(() => undefined); // warm both connections
      const downstream = down.app.get(DownstreamService);
      await waitFor(() => downstream.aborted.length === 1, 2_000, 'the warm-up call to be aborted');

      const start = performance.now();
      const { err } = await failure(client.invoke('Upstream', 'relay', [], { timeoutMs: 300 }));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      await waitFor(() => downstream.aborted.length === 2, 2_000, 'the downstream handler to be aborted');
      const { code, at } = downstream.aborted[1];
      // The downstream call ends with the upstream deadline: either its own copy of that deadline
      // fires, or the upstream call's end cancels it, whichever the clocks run first.
      expect(['DEADLINE_EXCEEDED', 'CANCELLED']).toContain(code);
      expect(at - start).toBeGreaterThanOrEqual(300 - 2);
      expect(at - start).toBeLessThanOrEqual(300 + LATE_MS + lag.within(start, at));
    });
  });
});

/** A port nothing listens on: bound by us, read back, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
