import { GradientLimit } from '../../../src/admission';

/** Feeds `windows` windows of 10 samples each, 100 ms apart, with the latency `rttOf(window)`. */
function feed(limit: GradientLimit, windows: number, rttOf: (w: number) => number, inFlight: () => number, startMs = 0): number {
  let now = startMs;
  for (let w = 0; w < windows; w++) {
    for (let i = 0; i < 10; i++) {
      now += 10;
      limit.addSample(rttOf(w), inFlight(), now);
    }
  }
  return now;
}

describe('GradientLimit (Gradient2)', () => {
  it('starts at its initial limit and holds while traffic uses less than half of it', () => {
    const limit = new GradientLimit({ initialLimit: 50 });
    feed(limit, 30, () => 5, () => 10);
    expect(limit.limit).toBe(50);
  });

  it('grows while latency stays at its long-term level and the limit is in use', () => {
    const limit = new GradientLimit({ initialLimit: 20 });
    feed(limit, 30, () => 5, () => limit.limit);
    expect(limit.limit).toBeGreaterThan(30);
  });

  it('shrinks toward the floor when latency rises past the tolerance, and never below it', () => {
    const limit = new GradientLimit({ initialLimit: 200, minLimit: 10 });
    const end = feed(limit, 20, () => 5, () => limit.limit);
    const before = limit.limit;
    feed(limit, 40, () => 50, () => limit.limit, end);
    expect(limit.limit).toBeLessThan(before / 2);
    expect(limit.limit).toBeGreaterThanOrEqual(10);
  });

  it('does not shrink while the event loop is not busy: slow awaits are not this process saturating', () => {
    const limit = new GradientLimit({ initialLimit: 100 });
    limit.cpuBusy = false;
    const end = feed(limit, 20, () => 5, () => limit.limit);
    const before = limit.limit;
    feed(limit, 20, () => 200, () => limit.limit, end);
    expect(limit.limit).toBeGreaterThanOrEqual(before);
  });

  it('updates at most once per window', () => {
    const limit = new GradientLimit({ initialLimit: 20, windowMs: 100, minSamples: 10 });
    let updates = 0;
    for (let i = 0; i < 50; i++) if (limit.addSample(5, 20, i)) updates++;
    expect(updates).toBe(0);
    for (let i = 0; i < 10; i++) if (limit.addSample(5, 20, 100 + i)) updates++;
    expect(updates).toBe(1);
  });

  it('backs off by a factor on the backstop signal, down to the floor', () => {
    const limit = new GradientLimit({ initialLimit: 100, minLimit: 10 });
    limit.backOff(0.5);
    expect(limit.limit).toBe(50);
    for (let i = 0; i < 10; i++) limit.backOff(0.5);
    expect(limit.limit).toBe(10);
  });
});
