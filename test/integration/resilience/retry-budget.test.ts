import { LedgerService } from '../../fixtures/resilience/ledger-service';
import { rejection } from '../../fixtures/resilience/support';
import { Harness } from '../../helpers/apps';

describe('retry budget', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('stops a retry storm: 10,000 failing idempotent calls add at most 0.2 × 10,000 + 10/s × 10 s retries', async () => {
    // Admission off: this measures the client's budget, and a burst of 10,000 calls into a server
    // that shares this process's event loop would otherwise be partly shed once queued for seconds
    // (docs/overload.md), which is a different behaviour than the one under test.
    const { app, address } = await h.serve({ services: [LedgerService], admission: false });
    const svc = app.get(LedgerService);
    // No breaker: the budget alone must hold the storm back. A deadline far past the storm, even on a
    // starved machine (a call's timeoutMs cannot loosen the policy's, default 10 s, so both are set).
    const client = h.client({ endpoints: { Ledger: [address] }, policy: { breaker: false, timeoutMs: 120_000, retry: { maxAttempts: 3, initialBackoffMs: 1 } } });
    const CALLS = 10_000;
    const started = performance.now();
    const errors = await Promise.all(
      Array.from({ length: CALLS }, (_, i) => rejection(client.invoke('Ledger', 'read', [`s${i}`], { metadata: { 'x-fail-code': 'UNAVAILABLE' }, timeoutMs: 120_000 }))),
    );
    const windowS = (performance.now() - started) / 1000;

    // Within one 10 s window the budget allows 0.2 × calls + 10/s × 10 s. On a loaded machine the
    // storm may outlast a window: all the calls count in its first second, so each later window
    // (the ring slides a 1 s bucket at a time) adds at most its 10/s × 10 s floor. A storm of T s
    // meets ceil((T + 1) / 10) windows: one on an idle machine.
    const retries = svc.runsOf('read').length - CALLS;
    expect(retries).toBeLessThanOrEqual(0.2 * CALLS + 10 * 10 * Math.ceil((windowS + 1) / 10));
    // The budget, not something else, is what stopped them: it was used up, not left idle. All the
    // calls are counted in the window's first second, so they fund retries for 9 s at least; each
    // call whose first attempt failed within those 9 s asked for a retry then. A starved machine
    // may get to fewer of them in time, so the budget must have granted 0.2 x calls, or a retry
    // to each call that asked in time, whichever is fewer: on an idle machine, 0.2 x calls. (A
    // call's first attempt starts with the storm, and its record says how long it took.)
    const askedInTime = errors.filter((e) => (e.attempts?.[0]?.ms ?? Infinity) < 8_500).length;
    expect(retries).toBeGreaterThan(0.9 * Math.min(0.2 * CALLS, askedInTime));
    expect(askedInTime).toBeGreaterThan(0);
    const stopped = new Map<string, number>();
    for (const e of errors) stopped.set(String(e.stoppedBy), (stopped.get(String(e.stoppedBy)) ?? 0) + 1);
    expect(stopped.get('budget')).toBeGreaterThan(CALLS / 2);
    for (const why of stopped.keys()) expect(['budget', 'maxAttempts']).toContain(why);
    // The stats show the budget's window: the whole storm while it still holds the calls' second
    // (9 s at least); a storm that outlasted it shows only what the window still holds.
    const inFirstWindow = performance.now() - started < 8_900;
    expect(client.stats().retryBudget).toHaveLength(1);
    const [budget] = client.stats().retryBudget;
    if (inFirstWindow) {
      expect(budget).toEqual({ service: 'Ledger', calls: CALLS, retries });
    } else {
      expect(budget.service).toBe('Ledger');
      expect([0, CALLS]).toContain(budget.calls);
      expect(budget.retries).toBeLessThanOrEqual(retries);
    }
  });
});
