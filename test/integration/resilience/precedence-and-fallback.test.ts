import type { Client, ClientPolicy, InterceptorFn } from '../../../src';
import { DecoratedService, LedgerService } from '../../fixtures/resilience/ledger-service';
import { rejection, watchLoopStalls } from '../../fixtures/resilience/support';
import { Harness, waitFor } from '../../helpers/apps';

/** A client interceptor that adds metadata to every call of a typed proxy (which takes none per call). */
function withMetadata(md: Record<string, string>): InterceptorFn {
  return (ctx, next) => {
    Object.assign(ctx.metadata, md);
    return next();
  };
}

const FAIL = { 'x-fail-code': 'UNAVAILABLE' };

describe('policy precedence: call > proxy policy > method decorator > class decorator > app default', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function decorated(appDefault: ClientPolicy) {
    const { app, address } = await h.serve({ services: [DecoratedService, LedgerService] });
    const client = h.client({ endpoints: { Decorated: [address], Ledger: [address] }, policy: { breaker: false, ...appDefault } });
    return { svc: app.get(DecoratedService), ledger: app.get(LedgerService), client };
  }

  /** Runs `call`, expects it to fail, and returns how many times the handler ran. */
  async function runsOf(svc: DecoratedService, method: string, call: () => Promise<unknown>): Promise<number> {
    const before = svc.runs.filter((m) => m === method).length;
    await rejection(call());
    return svc.runs.filter((m) => m === method).length - before;
  }

  it('takes retries from the most specific layer that sets them', async () => {
    const { svc, client } = await decorated({ retry: { maxAttempts: 5, initialBackoffMs: 1 } });
    const plain = client.proxy(DecoratedService, { interceptors: [withMetadata(FAIL)] });
    // Class decorator (2) over the app default (5); method decorator (4) over the class.
    expect(await runsOf(svc, 'classLevel', () => plain.classLevel())).toBe(2);
    expect(await runsOf(svc, 'methodLevel', () => plain.methodLevel())).toBe(4);
    // The proxy's policy over both decorators; its per-method policy over its own default.
    const tuned = client.proxy(DecoratedService, {
      interceptors: [withMetadata(FAIL)],
      retry: { maxAttempts: 3 },
      methods: { methodLevel: { retry: false } },
    });
    expect(await runsOf(svc, 'classLevel', () => tuned.classLevel())).toBe(3);
    expect(await runsOf(svc, 'methodLevel', () => tuned.methodLevel())).toBe(1);
  });

  it("lets a call's own retry option win over everything, merged key by key", async () => {
    const { ledger, client } = await decorated({ retry: { maxAttempts: 5, initialBackoffMs: 1, retryOn: ['UNAVAILABLE'] } });
    const readRuns = async (key: string, md: Record<string, string>, retry?: false | { maxAttempts: number }) => {
      const err = await rejection(client.invoke('Ledger', 'read', [key], { metadata: md, retry }));
      return { runs: ledger.runs.filter((r) => r.key === key).length, stoppedBy: err.stoppedBy };
    };
    expect(await readRuns('app', FAIL)).toEqual({ runs: 5, stoppedBy: 'maxAttempts' });
    expect(await readRuns('call', FAIL, { maxAttempts: 2 })).toEqual({ runs: 2, stoppedBy: 'maxAttempts' });
    expect(await readRuns('off', FAIL, false)).toEqual({ runs: 1, stoppedBy: undefined });
    // The call set maxAttempts only: the app's retryOn still holds, so ABORTED is not retried.
    expect(await readRuns('merged', { 'x-fail-code': 'ABORTED' }, { maxAttempts: 3 })).toEqual({ runs: 1, stoppedBy: 'notRetryable' });
    // A call can turn retries on for a proxy that has them off.
    const quiet = h.client({ endpoints: { Ledger: [client.endpoints('Ledger')[0].address] }, policy: { retry: false, breaker: false } });
    await rejection(quiet.invoke('Ledger', 'read', ['quiet-off'], { metadata: FAIL }));
    await rejection(quiet.invoke('Ledger', 'read', ['quiet-on'], { metadata: FAIL, retry: { maxAttempts: 3, initialBackoffMs: 1 } }));
    expect(ledger.runs.filter((r) => r.key === 'quiet-off')).toHaveLength(1);
    expect(ledger.runs.filter((r) => r.key === 'quiet-on')).toHaveLength(3);
  });

  it('rejects a bad retry call option with INVALID_ARGUMENT before any attempt', async () => {
    const { ledger, client } = await decorated({});
    const err = await rejection(client.invoke('Ledger', 'read', ['bad'], { retry: { maxAttempts: 99 } }));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', attempts: [] });
    expect(err.message).toContain('call option retry.maxAttempts');
    expect(ledger.runs).toHaveLength(0);
  });

  it('takes the tightest timeout: @Timeout, the policy and the call', async () => {
    const { client } = await decorated({});
    const hang = { 'x-hang': '1' };
    const stalls = watchLoopStalls();
    const about = (ms: number, target: number): void => {
      expect(ms).toBeGreaterThanOrEqual(target - 5);
      // Well under the looser value in play (1000 for 150, 150 for 40), unless the event loop stalled.
      expect(ms).toBeLessThan(target + 60 + stalls.peek());
    };
    try {
      // A Ledger method without its own timeout, to show the call's option alone.
      let started = performance.now();
      expect((await rejection(client.invoke('Ledger', 'read', ['t'], { metadata: hang, timeoutMs: 60 }))).code).toBe('DEADLINE_EXCEEDED');
      about(performance.now() - started, 60);

      const proxy = client.proxy(DecoratedService, { timeoutMs: 1_000, interceptors: [withMetadata(hang)] });
      started = performance.now();
      expect((await rejection(proxy.timed())).code).toBe('DEADLINE_EXCEEDED');
      about(performance.now() - started, 150);
      const tight = client.proxy(DecoratedService, { timeoutMs: 40, interceptors: [withMetadata(hang)] });
      started = performance.now();
      expect((await rejection(tight.timed())).code).toBe('DEADLINE_EXCEEDED');
      about(performance.now() - started, 40);
    } finally {
      stalls.stop();
    }
  });
});

describe('fallback', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function serve(): Promise<{ svc: DecoratedService; address: string }> {
    const { app, address } = await h.serve({ services: [DecoratedService, LedgerService] });
    return { svc: app.get(DecoratedService), address };
  }

  it('returns the @Fallback value after the retries gave up; the failures still count in stats', async () => {
    const { svc, address } = await serve();
    const client = h.client({ endpoints: { Decorated: [address] } });
    const proxy = client.proxy(DecoratedService, { interceptors: [withMetadata(FAIL)] });
    // The class's @Retry allows 2 attempts; the fallback sees the final error and both attempts.
    await expect(proxy.withFallback()).resolves.toEqual({ fallback: true, code: 'UNAVAILABLE', attempts: 2 });
    expect(svc.runs).toEqual(['withFallback', 'withFallback']);
    expect(client.stats().endpoints).toEqual([expect.objectContaining({ endpoint: address, calls: 2, failures: 2 })]);
  });

  it('rescues a call an open breaker turned away, without touching the network', async () => {
    const { address } = await serve();
    const seen: unknown[] = [];
    const client = h.client({
      endpoints: { Ledger: [address] },
      policy: {
        breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 },
        retry: { initialBackoffMs: 1 },
        fallback: (err) => {
          seen.push({ details: err.details, stoppedBy: err.stoppedBy });
          return 'degraded';
        },
      },
    });
    await expect(client.invoke('Ledger', 'read', ['a'], { metadata: FAIL })).resolves.toBe('degraded');
    await waitFor(() => client.stats().endpoints[0]?.breaker === 'open', 1_000, 'the breaker to open');
    await expect(client.invoke('Ledger', 'read', ['b'])).resolves.toBe('degraded');
    expect(seen[1]).toEqual({ details: { reason: 'BREAKER_OPEN', breaker: 'open' }, stoppedBy: 'breaker' });
    expect(client.stats().endpoints[0]).toMatchObject({ calls: 3, failures: 3 });
  });

  it("prefers the proxy policy's fallback to the decorator's, and never rescues a cancelled call", async () => {
    const { address } = await serve();
    const seen: Array<{ code: string; stoppedBy?: string }> = [];
    const policy: ClientPolicy = {
      retry: { maxAttempts: 2, initialBackoffMs: 1 },
      fallback: (err) => {
        seen.push({ code: err.code, stoppedBy: err.stoppedBy });
        return 'from-policy';
      },
    };
    const client: Client = h.client({ endpoints: { Decorated: [address], Ledger: [address] }, policy });
    const proxy = client.proxy(DecoratedService, { ...policy, interceptors: [withMetadata(FAIL)] });
    await expect(proxy.withFallback()).resolves.toBe('from-policy');
    // By name, the app default's fallback applies.
    await expect(client.invoke('Ledger', 'read', ['fb'], { metadata: FAIL })).resolves.toBe('from-policy');
    expect(seen).toEqual([
      { code: 'UNAVAILABLE', stoppedBy: 'maxAttempts' },
      { code: 'UNAVAILABLE', stoppedBy: 'maxAttempts' },
    ]);
    const stop = new AbortController();
    const cancelled = rejection(client.invoke('Ledger', 'read', ['cancel'], { metadata: { 'x-hang': '1' }, signal: stop.signal }));
    setTimeout(() => stop.abort(), 20);
    expect((await cancelled).code).toBe('CANCELLED');
    expect(seen).toHaveLength(2);
  });
});
