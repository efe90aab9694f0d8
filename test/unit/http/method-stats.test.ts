import type { CallContext } from '../../../src';
import { MethodStats } from '../../../src/http';

const ctx = (service: string, method: string) => ({ service, method }) as CallContext;

describe('MethodStats', () => {
  it('lists the methods it was given before any call, and never rivet.* ones', async () => {
    const stats = new MethodStats([
      { service: 'A', method: 'x' },
      { service: 'rivet.Health', method: 'check' },
    ]);
    const run = stats.middleware()(async () => 'ok');
    await run(ctx('rivet.Health', 'check'));
    expect(stats.rows().map((r) => `${r.service}.${r.method}`)).toEqual(['A.x']);
    expect(stats.rows()[0]).toMatchObject({ calls: 0, errors: 0, inFlight: 0, p50Ms: null, p99Ms: null });
  });

  it('counts calls, errors and calls in flight', async () => {
    const stats = new MethodStats([{ service: 'A', method: 'x' }]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ok = stats.middleware()(() => gate.then(() => 'ok'));
    const bad = stats.middleware()(() => Promise.reject(new Error('boom')));
    const pending = [ok(ctx('A', 'x')), ok(ctx('A', 'x'))];
    expect(stats.rows()[0].inFlight).toBe(2);
    await expect(bad(ctx('A', 'x'))).rejects.toThrow('boom');
    release();
    await Promise.all(pending);
    const row = stats.rows()[0];
    expect(row).toMatchObject({ calls: 3, errors: 1, inFlight: 0 });
    expect(row.errorPercent).toBeCloseTo(100 / 3, 5);
  });

  it('reads p50 and p99 from the rolling minute within a bucket of the truth, and forgets calls older than a minute', () => {
    const stats = new MethodStats([{ service: 'A', method: 'x' }]);
    const second = 1_000_000;
    // 1..100 ms, one call each: p50 is 50 ms, p99 is 99 ms.
    for (let ms = 1; ms <= 100; ms++) stats.record('A', 'x', ms, true, second * 1000 + 100);
    const row = stats.rows(second * 1000 + 500)[0];
    expect(row.p50Ms).toBeGreaterThan(50 / 1.13);
    expect(row.p50Ms).toBeLessThan(50 * 1.13);
    expect(row.p99Ms).toBeGreaterThan(99 / 1.13);
    expect(row.p99Ms).toBeLessThan(99 * 1.13);
    // The sparkline holds full seconds: the current one is not in it yet.
    expect(row.spark).toHaveLength(59);
    expect(stats.rows((second + 1) * 1000)[0].spark.at(-1)).toBe(100);
    expect(stats.rows((second + 3) * 1000)[0].ratePerSecond).toBe(20);
    const later = stats.rows((second + 61) * 1000)[0];
    expect(later).toMatchObject({ calls: 100, p50Ms: null, errorPercent: 0 });
  });
});
