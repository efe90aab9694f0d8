import { RandomBalancer } from '../../../src/balancer';
import { RivetConfigError } from '../../../src/errors';
import { callContext, fakeEndpoint, fakeEndpoints, seededRandom, tally } from './fakes';

const ctx = callContext();

describe('RandomBalancer', () => {
  it('returns the only endpoint when given one', () => {
    const [only] = fakeEndpoints(1);
    expect(new RandomBalancer().pick([only], ctx)).toBe(only);
  });

  it('spreads picks roughly uniformly with Math.random', () => {
    const endpoints = fakeEndpoints(3);
    const balancer = new RandomBalancer();
    const picks = Array.from({ length: 30_000 }, () => balancer.pick(endpoints, ctx));
    const counts = tally(picks);
    // Expected 1/3 each; the standard deviation of a share is 0.0027, so ±0.03 is over 10 sigma.
    for (const e of endpoints) expect(Math.abs(counts.get(e.address)! / 30_000 - 1 / 3)).toBeLessThan(0.03);
  });

  it('repeats its sequence with a seeded random source', () => {
    const endpoints = fakeEndpoints(5);
    const a = new RandomBalancer(seededRandom(7));
    const b = new RandomBalancer(seededRandom(7));
    const seqA = Array.from({ length: 50 }, () => a.pick(endpoints, ctx)!.address);
    const seqB = Array.from({ length: 50 }, () => b.pick(endpoints, ctx)!.address);
    expect(seqA).toEqual(seqB);
    expect(new Set(seqA).size).toBe(5);
  });

  it('stays in range when the random source returns exactly 1', () => {
    const endpoints = fakeEndpoints(3);
    expect(new RandomBalancer(() => 1).pick(endpoints, ctx)).toBe(endpoints[2]);
  });

  it('never picks a breaker-open or ejected endpoint while a healthy one is offered', () => {
    const healthy = fakeEndpoint('10.0.0.1:4000');
    const open = fakeEndpoint('10.0.0.2:4000', { breaker: 'open' });
    const ejected = fakeEndpoint('10.0.0.3:4000', { ejected: true });
    const balancer = new RandomBalancer(seededRandom(1));
    for (let i = 0; i < 1000; i++) expect(balancer.pick([open, healthy, ejected], ctx)).toBe(healthy);
  });

  it('still picks one when every endpoint offered is unhealthy', () => {
    const endpoints = fakeEndpoints(3, { breaker: 'open' });
    const counts = tally(Array.from({ length: 3000 }, () => new RandomBalancer().pick(endpoints, ctx)));
    expect(counts.get('undefined')).toBeUndefined();
    expect(counts.size).toBe(3);
  });

  it('rejects a random source that is not a function at construction', () => {
    expect(() => new RandomBalancer(42 as unknown as () => number)).toThrow(RivetConfigError);
  });
});
