import { backoffCapMs, fullJitterBackoffMs, resolveRetryPolicy } from '../../../src/resilience';

describe('fullJitterBackoffMs', () => {
  const policy = resolveRetryPolicy({ initialBackoffMs: 50, maxBackoffMs: 2_000, multiplier: 2 });
  const SAMPLES = 2_000;

  it('grows the cap by the multiplier per retry and stops at maxBackoffMs', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffCapMs(n, policy))).toEqual([50, 100, 200, 400, 800, 1_600, 2_000, 2_000, 2_000]);
    expect(backoffCapMs(10_000, policy)).toBe(2_000); // Math.pow overflows to Infinity; still capped
    const triple = resolveRetryPolicy({ initialBackoffMs: 10, maxBackoffMs: 100, multiplier: 3 });
    expect([0, 1, 2, 3].map((n) => backoffCapMs(n, triple))).toEqual([10, 30, 90, 100]);
  });

  it.each([0, 1, 3, 6, 9])('keeps every sample of retry %i within [0, cap]', (retry) => {
    const cap = backoffCapMs(retry, policy);
    for (let i = 0; i < SAMPLES; i++) {
      const d = fullJitterBackoffMs(retry, policy);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(cap);
    }
  });

  it('spreads samples over the whole interval (full jitter, not ±20%)', () => {
    const cap = backoffCapMs(4, policy);
    const samples = Array.from({ length: SAMPLES }, () => fullJitterBackoffMs(4, policy));
    // Ten equal bins: each should get about a tenth. With 2000 samples a bin below 5% or above 15%
    // would be a broken distribution, not bad luck.
    const bins = new Array<number>(10).fill(0);
    for (const s of samples) bins[Math.min(9, Math.floor((s / cap) * 10))]++;
    for (const b of bins) {
      expect(b).toBeGreaterThan(SAMPLES * 0.05);
      expect(b).toBeLessThan(SAMPLES * 0.15);
    }
    expect(Math.min(...samples)).toBeLessThan(cap * 0.05);
    expect(Math.max(...samples)).toBeGreaterThan(cap * 0.95);
  });

  it('maps the random number linearly onto [0, cap]', () => {
    expect(fullJitterBackoffMs(2, policy, () => 0)).toBe(0);
    expect(fullJitterBackoffMs(2, policy, () => 0.25)).toBe(50);
    expect(fullJitterBackoffMs(2, policy, () => 0.999)).toBeCloseTo(199.8);
  });
});
