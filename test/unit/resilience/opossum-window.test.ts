import CircuitBreaker from 'opossum';
import { windowCounterOf } from '../../../src/resilience/opossum-window';

// Rivet counts a closed breaker's successes in opossum's rolling window directly, through a field
// opossum does not document (`status.increment`). If an opossum release renames or reshapes it,
// this test fails: then drop the fast path in breakers.ts (successes go through opossum's events).
describe("opossum's rolling window, as breakers.ts counts in it", () => {
  it('has status.increment, and what it counts is what opossum reports', () => {
    const breaker = new CircuitBreaker(async () => 'ok', { timeout: false, rollingPercentilesEnabled: false, enableSnapshots: false });
    try {
      const counter = windowCounterOf(breaker);
      expect(counter).not.toBeNull();
      counter?.increment('fires');
      counter?.increment('successes', 0);
      counter?.increment('fires');
      counter?.increment('successes', 0);
      expect(breaker.stats.fires).toBe(2);
      expect(breaker.stats.successes).toBe(2);
      expect(breaker.stats.failures).toBe(0);
    } finally {
      breaker.shutdown();
    }
  });
});
