import * as net from 'node:net';
import { faults } from '../../../src/testing';
import { LedgerService } from '../../fixtures/resilience/ledger-service';
import { prefer, rejection, TcpRelay } from '../../fixtures/resilience/support';
import { Harness, waitFor } from '../../helpers/apps';
import { watchLoopLag } from '../../helpers/loop-lag';

const FAIL = { 'x-fail-code': 'UNAVAILABLE' } as const;

describe('retries', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function ledger(opts: Parameters<Harness['serve']>[0] = {}) {
    const s = await h.serve({ services: [LedgerService], ...opts });
    return { ...s, svc: s.app.get(LedgerService) };
  }

  it('makes maxAttempts attempts with full-jitter backoff under the caps, then stops with maxAttempts', async () => {
    const a = await ledger();
    const client = h.client({ endpoints: { Ledger: [a.address] }, policy: { breaker: false, retry: { maxAttempts: 3, initialBackoffMs: 50 } } });
    // Each bound allows for the time this process's event loop was measured to have lost inside
    // the interval it bounds (a CPU busy with other test workers), and no more. The jitter itself
    // is judged on gaps with that lost time taken out; a stall long enough to bunch the retries
    // anyway spoils a round, so up to three rounds are run and one must show the jitter.
    const rounds: Array<{ mean: number; spread: number }> = [];
    for (let round = 0; round < 3; round++) {
      const lag = watchLoopLag();
      const started = performance.now();
      const errors = await Promise.all(Array.from({ length: 20 }, (_, i) => rejection(client.invoke('Ledger', 'read', [`r${round}k${i}`], { metadata: FAIL }))));
      const ended = performance.now();
      lag.stop();

      // The caps are 50 then 100 ms: a call's backoff totals less than 150 ms.
      expect(ended - started).toBeLessThan(150 + 100 + lag.within(started, ended));
      const firstGaps: number[] = [];
      for (let i = 0; i < 20; i++) {
        const err = errors[i];
        expect(err).toMatchObject({ code: 'UNAVAILABLE', stoppedBy: 'maxAttempts', notProcessed: false });
        // The last attempt's details, exactly as the server sent them.
        expect(err.details).toEqual({ run: 3 });
        expect(err.attempts).toHaveLength(3);
        for (const at of err.attempts ?? []) {
          expect(at).toEqual({ endpoint: a.address, code: 'UNAVAILABLE', ms: expect.any(Number) });
        }
        const runs = a.svc.runsOf('read').filter((r) => r.key === `r${round}k${i}`);
        expect(runs.map((r) => r.attempt)).toEqual([undefined, '2', '3']);
        const gap1 = runs[1].atMs - runs[0].atMs;
        const gap2 = runs[2].atMs - runs[1].atMs;
        const lost1 = lag.within(runs[0].atMs, runs[1].atMs);
        expect(gap1).toBeLessThan(50 + 20 + lost1);
        expect(gap2).toBeLessThan(100 + 20 + lag.within(runs[1].atMs, runs[2].atMs));
        firstGaps.push(Math.max(0, gap1 - lost1));
      }
      const mean = firstGaps.reduce((s, g) => s + g, 0) / firstGaps.length;
      rounds.push({ mean, spread: Math.max(...firstGaps) - Math.min(...firstGaps) });
      // Full jitter: waits spread over [0, 50), not bunched at the cap (20 uniform draws, mean 25).
      if (mean > 8 && mean < 45 && rounds[round].spread > 10) break;
    }
    const last = rounds[rounds.length - 1];
    expect({ jittered: last.mean > 8 && last.mean < 45 && last.spread > 10, rounds }).toMatchObject({ jittered: true });
  });

  it('runs a method that is not idempotent exactly once when it fails after it was sent (notIdempotent)', async () => {
    const a = await ledger();
    const client = h.client({ endpoints: { Ledger: [a.address] }, policy: { retry: { maxAttempts: 5, initialBackoffMs: 1 } } });
    const err = await rejection(client.invoke('Ledger', 'append', ['once'], { metadata: FAIL }));
    expect(err).toMatchObject({ code: 'UNAVAILABLE', stoppedBy: 'notIdempotent', notProcessed: false });
    expect(err.attempts).toEqual([{ endpoint: a.address, code: 'UNAVAILABLE', ms: expect.any(Number) }]);
    expect(a.svc.runsOf('append')).toHaveLength(1);
  });

  it('retries a method that is not idempotent when the first endpoint refused the connection', async () => {
    const a = await ledger();
    const dead = await closedPort();
    const client = h.client({ endpoints: { Ledger: [dead, a.address] }, policy: { balancer: prefer(() => dead), retry: { initialBackoffMs: 1 } } });
    await expect(client.invoke('Ledger', 'append', ['refused-first'])).resolves.toEqual({ key: 'refused-first', attempt: '2' });
    expect(a.svc.runsOf('append')).toHaveLength(1);
  });

  it('retries an idempotent call on another endpoint when the first one fails', async () => {
    const bad = await ledger({ interceptors: [faults({ failRate: 1 })] });
    const good = await ledger();
    const client = h.client({ endpoints: { Ledger: [bad.address, good.address] }, policy: { balancer: prefer(() => bad.address), retry: { initialBackoffMs: 1 } } });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.invoke('Ledger', 'read', [`r${i}`])));
    // Every call went to the failing endpoint first, then, on its second attempt, to the other one.
    for (const r of results) expect(r).toMatchObject({ attempt: '2' });
    expect(good.svc.runsOf('read').map((r) => r.attempt)).toEqual(Array(10).fill('2'));
    expect(bad.svc.runs).toHaveLength(0);
  });

  it('lists every attempt in err.attempts, moving to another endpoint before trying one again', async () => {
    const a = await ledger();
    const b = await ledger();
    const client = h.client({ endpoints: { Ledger: [a.address, b.address] }, policy: { breaker: false, outlierDetection: false, retry: { maxAttempts: 3, initialBackoffMs: 1 } } });
    for (let i = 0; i < 5; i++) {
      const err = await rejection(client.invoke('Ledger', 'read', [`both-${i}`], { metadata: FAIL }));
      expect(err.stoppedBy).toBe('maxAttempts');
      expect(err.attempts).toHaveLength(3);
      const [first, second] = err.attempts ?? [];
      expect(new Set([first.endpoint, second.endpoint])).toEqual(new Set([a.address, b.address]));
    }
  });

  it('retries a call refused by a draining server on another endpoint, even when it is not idempotent', async () => {
    const draining = await ledger();
    const other = await ledger();
    // The relay holds the draining server's bytes back, so the client sends a call before it reads DRAIN.
    const relay = await TcpRelay.start(draining.port);
    try {
      const client = h.client({ endpoints: { Ledger: [relay.address, other.address] }, policy: { balancer: prefer(() => relay.address), retry: { initialBackoffMs: 1 } } });
      await expect(client.invoke('Ledger', 'append', ['warm'])).resolves.toEqual({ key: 'warm', attempt: undefined });
      // A call in flight keeps the server draining (rather than closed) while the test runs.
      const stop = new AbortController();
      const hanging = rejection(client.invoke('Ledger', 'read', ['hang'], { metadata: { 'x-hang': '1' }, signal: stop.signal }));
      await waitFor(() => draining.svc.runsOf('read').length === 1, 2_000, 'the hanging call to start');

      relay.holdReplies();
      const before = relay.bytesToClient;
      const closing = draining.app.close({ drainTimeoutMs: 5_000 });
      await waitFor(() => relay.bytesToClient > before, 2_000, 'the server to send DRAIN');
      const sentBefore = relay.bytesToServer;
      const refused = client.invoke('Ledger', 'append', ['during-drain']);
      await waitFor(() => relay.bytesToServer > sentBefore, 2_000, 'the call to reach the draining server');
      relay.releaseReplies();

      await expect(refused).resolves.toEqual({ key: 'during-drain', attempt: '2' });
      expect(draining.svc.runsOf('append').map((r) => r.key)).toEqual(['warm']);
      expect(other.svc.runsOf('append').map((r) => r.key)).toEqual(['during-drain']);
      stop.abort();
      expect((await hanging).code).toBe('CANCELLED');
      await closing;
    } finally {
      await relay.close();
    }
  });

  it('waits at least the server pushback (retryAfterMs) before retrying', async () => {
    const a = await ledger();
    const client = h.client({ endpoints: { Ledger: [a.address] }, policy: { retry: { initialBackoffMs: 10 } } });
    const md = { 'x-fail-code': 'RESOURCE_EXHAUSTED', 'x-fail-times': '1', 'x-retry-after-ms': '200' };
    const lag = watchLoopLag();
    await expect(client.invoke('Ledger', 'read', ['pushback'], { metadata: md })).resolves.toEqual({ key: 'pushback', attempt: '2' });
    lag.stop();
    const runs = a.svc.runsOf('read');
    expect(runs).toHaveLength(2);
    const gapMs = runs[1].atMs - runs[0].atMs;
    expect(gapMs).toBeGreaterThanOrEqual(198);
    expect(gapMs).toBeLessThan(200 + 50 + lag.within(runs[0].atMs, runs[1].atMs));
  });

  it('does not retry when the server says retryAfterMs < 0 (notRetryable), and keeps its details', async () => {
    const a = await ledger();
    const client = h.client({ endpoints: { Ledger: [a.address] } });
    const err = await rejection(client.invoke('Ledger', 'read', ['never'], { metadata: { 'x-fail-code': 'RESOURCE_EXHAUSTED', 'x-retry-after-ms': '-1' } }));
    expect(err).toMatchObject({ code: 'RESOURCE_EXHAUSTED', stoppedBy: 'notRetryable', details: { run: 1, retryAfterMs: -1 } });
    expect(a.svc.runsOf('read')).toHaveLength(1);
  });

  it('does not start a retry that could not finish before the deadline (stoppedBy deadline)', async () => {
    const a = await ledger();
    const client = h.client({ endpoints: { Ledger: [a.address] } });
    const started = performance.now();
    const md = { 'x-fail-code': 'UNAVAILABLE', 'x-retry-after-ms': '1000' };
    const err = await rejection(client.invoke('Ledger', 'read', ['late'], { metadata: md, timeoutMs: 300 }));
    expect(performance.now() - started).toBeLessThan(250);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', stoppedBy: 'deadline', details: { run: 1, retryAfterMs: 1000 } });
    expect(a.svc.runsOf('read')).toHaveLength(1);
  });

  it('never retries a business error', async () => {
    const a = await ledger();
    const client = h.client({ endpoints: { Ledger: [a.address] } });
    const err = await rejection(client.invoke('Ledger', 'read', ['nf'], { metadata: { 'x-fail-code': 'NOT_FOUND' } }));
    expect(err).toMatchObject({ code: 'NOT_FOUND', stoppedBy: 'notRetryable' });
    expect(a.svc.runsOf('read')).toHaveLength(1);
  });

  it('marks retries with rivet-attempt, and a handler serving a retried call does not retry its own calls', async () => {
    const front = await ledger();
    const back = await ledger();
    const downstream = h.client({ endpoints: { Ledger: [back.address] }, policy: { breaker: false, retry: { maxAttempts: 3, initialBackoffMs: 1 } } });
    front.svc.downstream = (key) => downstream.invoke('Ledger', 'read', [key], { metadata: FAIL });
    const client = h.client({ endpoints: { Ledger: [front.address] }, policy: { retry: { initialBackoffMs: 1 } } });

    // A first attempt may retry downstream as usual: 3 runs downstream.
    await expect(client.invoke('Ledger', 'relay', ['fresh'])).resolves.toEqual({
      attempt: undefined,
      downstream: { code: 'UNAVAILABLE', attempts: 3, stoppedBy: 'maxAttempts' },
    });
    expect(back.svc.runsOf('read').filter((r) => r.key === 'fresh')).toHaveLength(3);

    // The relay fails once and is retried; its second attempt calls downstream exactly once.
    const md = { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1' };
    await expect(client.invoke('Ledger', 'relay', ['retried'], { metadata: md })).resolves.toEqual({
      attempt: '2',
      downstream: { code: 'UNAVAILABLE', attempts: 1 },
    });
    expect(back.svc.runsOf('read').filter((r) => r.key === 'retried')).toHaveLength(1);
  });
});

/** An address on 127.0.0.1 where nothing listens: bound on port 0, then closed. */
async function closedPort(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `127.0.0.1:${port}`;
}
