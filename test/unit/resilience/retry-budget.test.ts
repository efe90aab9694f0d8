import { resolveRetryPolicy, RetryBudget, RETRY_BUDGET_WINDOW_MS } from '../../../src/resilience';
import { FakeClock } from './support';

const WINDOW_S = RETRY_BUDGET_WINDOW_MS / 1000;

describe('RetryBudget', () => {
  const budgetPolicy = resolveRetryPolicy({}).budget; // ratio 0.2, minPerSecond 10

  it('lets a burst of 10,000 failing calls add at most 20% + 10/s of retries', () => {
    const clock = new FakeClock(5_000);
    const budget = new RetryBudget(budgetPolicy, clock.now);
    let retries = 0;
    for (let i = 0; i < 10_000; i++) {
      budget.recordCall();
      // Every call fails and would retry up to twice (maxAttempts 3).
      for (let r = 0; r < 2; r++) if (budget.tryAcquireRetry()) retries++;
    }
    expect(retries).toBeLessThanOrEqual(0.2 * 10_000 + 10 * WINDOW_S);
    // And the budget is used, not refused outright.
    expect(retries).toBeGreaterThanOrEqual(0.2 * 10_000);
    expect(budget.snapshot()).toEqual({ calls: 10_000, retries });
  });

  it('allows minPerSecond × window retries with no calls at all', () => {
    const budget = new RetryBudget(budgetPolicy, new FakeClock().now);
    let n = 0;
    while (budget.tryAcquireRetry()) n++;
    expect(n).toBe(10 * WINDOW_S);
  });

  it('honours a custom ratio and floor', () => {
    const budget = new RetryBudget(resolveRetryPolicy({ budget: { ratio: 0.5, minPerSecond: 0 } }).budget, new FakeClock().now);
    for (let i = 0; i < 100; i++) budget.recordCall();
    let n = 0;
    while (budget.tryAcquireRetry()) n++;
    expect(n).toBe(50);
  });

  it('refuses every retry with ratio 0 and no floor', () => {
    const budget = new RetryBudget(resolveRetryPolicy({ budget: { ratio: 0, minPerSecond: 0 } }).budget, new FakeClock().now);
    for (let i = 0; i < 100; i++) budget.recordCall();
    expect(budget.tryAcquireRetry()).toBe(false);
  });

  it('forgets calls and retries older than the window, one second at a time', () => {
    const clock = new FakeClock(0);
    const budget = new RetryBudget(resolveRetryPolicy({ budget: { ratio: 0.1, minPerSecond: 0 } }).budget, clock.now);
    for (let i = 0; i < 100; i++) budget.recordCall(); // second 0
    clock.advance(5_000);
    for (let i = 0; i < 100; i++) budget.recordCall(); // second 5
    while (budget.tryAcquireRetry());
    expect(budget.snapshot()).toEqual({ calls: 200, retries: 20 });
    clock.advance(5_000); // second 10: second 0 has slid out
    expect(budget.snapshot()).toEqual({ calls: 100, retries: 20 });
    expect(budget.tryAcquireRetry()).toBe(false); // 20 retries already exceed 10% of 100
    clock.advance(5_000); // second 15: everything has slid out
    expect(budget.snapshot()).toEqual({ calls: 0, retries: 0 });
  });

  it('refills after a long idle gap without walking every missed bucket', () => {
    const clock = new FakeClock(0);
    const budget = new RetryBudget(budgetPolicy, clock.now);
    while (budget.tryAcquireRetry());
    expect(budget.tryAcquireRetry()).toBe(false);
    clock.advance(1e12);
    expect(budget.tryAcquireRetry()).toBe(true);
  });
});
