import type { CallContext, Invoker } from '../../../src/call';
import { isRpcError, reasonOf, RpcError } from '../../../src/errors';
import { ADMITTED, type Admission, Breakers, breakerKey, resolveBreakerPolicy, type BreakerStateChange } from '../../../src/resilience';
import { makeCtx, rejectionOf, waitFor } from './support';

const ENDPOINT = '10.0.0.1:4000';
const SERVICE = 'Orders';
const KEY = breakerKey(ENDPOINT, SERVICE);
const RESET_MS = 100;

/** An invoker that throws `fail` when set, else answers 'ok'; counts its calls. */
class Target {
  calls = 0;
  fail: unknown = undefined;
  readonly invoke: Invoker = async (_ctx: CallContext) => {
    this.calls++;
    if (this.fail !== undefined) throw this.fail;
    return 'ok';
  };
}

describe('Breakers', () => {
  let breakers: Breakers;
  let events: BreakerStateChange[];
  let target: Target;
  const ctx = makeCtx();

  beforeEach(() => {
    events = [];
    target = new Target();
    breakers = new Breakers(resolveBreakerPolicy({ volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeoutMs: RESET_MS }), {
      onStateChange: (e) => events.push(e),
    });
  });

  afterEach(() => breakers.shutdown());

  async function failTimes(n: number, err: unknown): Promise<void> {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    target.fail = err;
    for (let i = 0; i < n; i++) await rejectionOf(b.fire(target.invoke, ctx));
  }

  it('passes results and errors through unchanged', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    await expect(b.fire(target.invoke, ctx)).resolves.toBe('ok');
    const err = new RpcError('INTERNAL', 'boom');
    target.fail = err;
    expect(await rejectionOf(b.fire(target.invoke, ctx))).toBe(err);
  });

  describe('two-step use (admit, then done)', () => {
    it('admits while closed with the shared ADMITTED, and counts what done() is told in the same window as fire()', async () => {
      const b = breakers.get(KEY, ENDPOINT, SERVICE);
      for (let i = 0; i < 3; i++) {
        const a = b.admit();
        expect(a).toBe(ADMITTED);
        b.done(a as Admission);
      }
      await expect(b.fire(target.invoke, ctx)).resolves.toBe('ok');
      expect(b.stats()).toEqual({ calls: 4, failures: 0, rejected: 0 });
    });

    it('done(failure) rejects with the very error once it is counted, and opens past the threshold', async () => {
      const b = breakers.get(KEY, ENDPOINT, SERVICE);
      const down = new RpcError('UNAVAILABLE', 'down');
      for (let i = 0; i < 4; i++) expect(await rejectionOf(b.done(b.admit() as Admission, down))).toBe(down);
      expect(b.state).toBe('closed');
      expect(await rejectionOf(b.done(b.admit() as Admission, down))).toBe(down);
      // Open as soon as the fifth failure's promise settles: a retry picking now sees it.
      expect(b.state).toBe('open');
      expect(b.stats().failures).toBe(5);
      const refused = b.admit();
      expect(isRpcError(refused) && reasonOf(refused)).toBe('BREAKER_OPEN');
      expect(isRpcError(refused) && refused.notProcessed).toBe(true);
      expect(b.stats().rejected).toBe(1);
      expect(reasonOf(await rejectionOf(b.fire(target.invoke, ctx)))).toBe('BREAKER_OPEN');
      expect(target.calls).toBe(0);
    });

    it('counts a business error as a healthy call', async () => {
      const b = breakers.get(KEY, ENDPOINT, SERVICE);
      const notFound = new RpcError('NOT_FOUND', 'no such order');
      for (let i = 0; i < 10; i++) expect(await rejectionOf(b.done(b.admit() as Admission, notFound))).toBe(notFound);
      expect(b.state).toBe('closed');
      expect(b.stats()).toEqual({ calls: 10, failures: 0, rejected: 0 });
    });

    it("half-open: admits one probe through opossum, refuses the rest, and the probe's success closes it", async () => {
      const b = breakers.get(KEY, ENDPOINT, SERVICE);
      const down = new RpcError('UNAVAILABLE', 'down');
      for (let i = 0; i < 5; i++) await rejectionOf(b.done(b.admit() as Admission, down));
      expect(b.state).toBe('open');
      await waitFor(() => b.state === 'halfOpen', RESET_MS * 20);
      const probe = b.admit();
      expect(probe).not.toBe(ADMITTED);
      expect(isRpcError(probe)).toBe(false);
      const second = b.admit();
      expect(isRpcError(second) && reasonOf(second)).toBe('BREAKER_OPEN');
      b.done(probe as Admission);
      await waitFor(() => b.state === 'closed', 1_000);
      expect(b.admit()).toBe(ADMITTED);
    });

    it("half-open: a failed probe reopens it, and done() rejects with the probe's own error", async () => {
      const b = breakers.get(KEY, ENDPOINT, SERVICE);
      const down = new RpcError('UNAVAILABLE', 'down');
      for (let i = 0; i < 5; i++) await rejectionOf(b.done(b.admit() as Admission, down));
      await waitFor(() => b.state === 'halfOpen', RESET_MS * 20);
      const probe = b.admit() as Admission;
      const again = new RpcError('UNAVAILABLE', 'still down');
      expect(await rejectionOf(b.done(probe, again))).toBe(again);
      expect(b.state).toBe('open');
    });

    it('refuses with CLIENT_CLOSED once shut down', () => {
      const b = breakers.get(KEY, ENDPOINT, SERVICE);
      breakers.shutdown();
      const refused = b.admit();
      expect(isRpcError(refused) && reasonOf(refused)).toBe('CLIENT_CLOSED');
    });
  });

  it('stays closed below volumeThreshold, then opens when failures pass the threshold', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    await failTimes(4, new RpcError('UNAVAILABLE', 'down'));
    expect(b.state).toBe('closed');
    await failTimes(1, new RpcError('UNAVAILABLE', 'down'));
    expect(b.state).toBe('open');
    expect(events).toEqual([{ endpoint: ENDPOINT, service: SERVICE, state: 'open' }]);
  });

  it('does not open while the failure rate stays at or under errorThresholdPercentage', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    for (let i = 0; i < 10; i++) {
      target.fail = undefined;
      await b.fire(target.invoke, ctx);
      await failTimes(1, new RpcError('INTERNAL', 'flaky'));
    }
    expect(b.stats()).toEqual({ calls: 20, failures: 10, rejected: 0 });
    expect(b.state).toBe('closed');
    await failTimes(1, new RpcError('INTERNAL', 'flaky')); // 11 of 21: above 50%
    expect(b.state).toBe('open');
  });

  it('fails fast when open, with BREAKER_OPEN and notProcessed, without calling next', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    await failTimes(5, new RpcError('DEADLINE_EXCEEDED', 'slow'));
    const before = target.calls;
    target.fail = undefined;
    for (let i = 0; i < 20; i++) {
      const err = await rejectionOf(b.fire(target.invoke, ctx));
      expect(isRpcError(err)).toBe(true);
      expect(err).toMatchObject({ code: 'UNAVAILABLE', notProcessed: true, details: { reason: 'BREAKER_OPEN', breaker: 'open' } });
    }
    expect(target.calls).toBe(before);
    expect(b.stats().rejected).toBe(20);
  });

  it.each(['INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'FAILED_PRECONDITION', 'OUT_OF_RANGE', 'UNIMPLEMENTED'] as const)(
    'never opens on %s, a business error',
    async (code) => {
      const b = breakers.get(KEY, ENDPOINT, SERVICE);
      await failTimes(50, new RpcError(code, 'no'));
      expect(b.state).toBe('closed');
      expect(b.stats().failures).toBe(0);
      expect(events).toEqual([]);
    },
  );

  it('does not count a draining server or the client closing against the endpoint', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    await failTimes(20, new RpcError('UNAVAILABLE', 'draining', { reason: 'SERVER_DRAINING' }, { notProcessed: true }));
    await failTimes(20, new RpcError('UNAVAILABLE', 'closed', { reason: 'CLIENT_CLOSED' }, { notProcessed: true }));
    expect(b.state).toBe('closed');
  });

  it('half-opens after resetTimeoutMs and closes on a successful probe: open → halfOpen → closed', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    await failTimes(5, new RpcError('UNAVAILABLE', 'down'));
    expect(b.state).toBe('open');
    await waitFor(() => b.state === 'halfOpen', RESET_MS * 20, 'half-open');
    target.fail = undefined;
    // One probe goes through; while it is out, others are refused.
    const probe = b.fire(target.invoke, ctx);
    expect(reasonOf(await rejectionOf(b.fire(target.invoke, ctx)))).toBe('BREAKER_OPEN');
    await expect(probe).resolves.toBe('ok');
    expect(b.state).toBe('closed');
    expect(events.map((e) => e.state)).toEqual(['open', 'halfOpen', 'closed']);
    await expect(b.fire(target.invoke, ctx)).resolves.toBe('ok');
  });

  it('reopens when the probe fails', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    await failTimes(5, new RpcError('UNAVAILABLE', 'down'));
    await waitFor(() => b.state === 'halfOpen', RESET_MS * 20, 'half-open');
    await failTimes(1, new RpcError('UNAVAILABLE', 'still down'));
    expect(b.state).toBe('open');
    expect(events.map((e) => e.state)).toEqual(['open', 'halfOpen', 'open']);
  });

  it('keeps one breaker per (endpoint, service): one sick endpoint does not open its peers', async () => {
    await failTimes(5, new RpcError('UNAVAILABLE', 'down'));
    const peerKey = breakerKey('10.0.0.2:4000', SERVICE);
    const peer = breakers.get(peerKey, '10.0.0.2:4000', SERVICE);
    expect(breakers.get(KEY, ENDPOINT, SERVICE).state).toBe('open');
    expect(peer.state).toBe('closed');
    target.fail = undefined;
    await expect(peer.fire(target.invoke, ctx)).resolves.toBe('ok');
    expect(breakers.get(KEY, ENDPOINT, SERVICE)).toBe(breakers.peek(KEY));
    expect(breakers.size).toBe(2);
    expect(breakers.stats(peerKey)).toEqual({ calls: 1, failures: 0, rejected: 0 });
    expect(breakers.stats('nope')).toBeUndefined();
  });

  it('refuses calls with CLIENT_CLOSED after shutdown, and delete() drops one breaker', async () => {
    const b = breakers.get(KEY, ENDPOINT, SERVICE);
    breakers.delete(KEY);
    expect(breakers.peek(KEY)).toBeUndefined();
    expect(reasonOf(await rejectionOf(b.fire(target.invoke, ctx)))).toBe('CLIENT_CLOSED');
    breakers.shutdown();
    const late = breakers.get(KEY, ENDPOINT, SERVICE);
    const err = await rejectionOf(late.fire(target.invoke, ctx));
    expect(err).toMatchObject({ code: 'UNAVAILABLE', notProcessed: true, details: { reason: 'CLIENT_CLOSED' } });
    expect(breakers.size).toBe(0);
    expect(target.calls).toBe(0);
  });
});
