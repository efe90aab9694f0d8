import { AdaptiveThrottle, resolveThrottlePolicy, THROTTLE_WINDOW_MS } from '../../../src/resilience';
import { configError } from '../../helpers/config-error';

describe('AdaptiveThrottle (SRE client-side throttling)', () => {
  it('never rejects while the server accepts everything', () => {
    const t = new AdaptiveThrottle(2);
    for (let i = 0; i < 1_000; i++) {
      expect(t.shouldReject(i, () => 0)).toBe(false);
      t.record(i, true);
    }
    expect(t.rejectProbability(1_000)).toBe(0);
  });

  it('rejects locally with probability (requests - K accepts) / (requests + 1) once the server sheds most calls', () => {
    const t = new AdaptiveThrottle(2);
    // 100 answered, 10 accepted: (100 - 20) / 101.
    for (let i = 0; i < 100; i++) t.record(i, i < 10);
    expect(t.rejectProbability(100)).toBeCloseTo(80 / 101, 5);
    expect(t.shouldReject(100, () => 0.5)).toBe(true);
    expect(t.shouldReject(100, () => 0.99)).toBe(false);
  });

  it('forgets what is older than its 30 s window', () => {
    const t = new AdaptiveThrottle(2);
    for (let i = 0; i < 100; i++) t.record(0, false);
    expect(t.rejectProbability(0)).toBeGreaterThan(0.9);
    expect(t.rejectProbability(THROTTLE_WINDOW_MS + 1_000)).toBe(0);
  });

  it('lets a larger K send more before it rejects', () => {
    const strict = new AdaptiveThrottle(1.1);
    const lax = new AdaptiveThrottle(4);
    for (let i = 0; i < 100; i++) {
      strict.record(i, i % 2 === 0);
      lax.record(i, i % 2 === 0);
    }
    expect(strict.rejectProbability(100)).toBeGreaterThan(0);
    expect(lax.rejectProbability(100)).toBe(0);
  });
});

describe('resolveThrottlePolicy', () => {
  it('is on with K = 2 by default, off with false', () => {
    expect(resolveThrottlePolicy(undefined, 'p.throttle')).toEqual({ ratio: 2 });
    expect(resolveThrottlePolicy({ ratio: 3 }, 'p.throttle')).toEqual({ ratio: 3 });
    expect(resolveThrottlePolicy(false, 'p.throttle')).toBe(false);
  });

  it('refuses a ratio below 1 and unknown keys, naming the option', () => {
    expect(configError(() => resolveThrottlePolicy({ ratio: 0.5 }, 'p.throttle')).message).toContain('p.throttle.ratio');
    expect(configError(() => resolveThrottlePolicy({ k: 2 }, 'p.throttle')).message).toContain("'k'");
  });
});
