import { WeightedRoundRobinBalancer } from '../../../src/balancer';
import { callContext, fakeEndpoint, type FakeEndpoint, tally } from './fakes';

const ctx = callContext();

function weighted(weights: Record<string, number | undefined>): FakeEndpoint[] {
  // Bare names as addresses keep the expected sequences readable.
  return Object.entries(weights).map(([name, weight]) => {
    const e = fakeEndpoint(name, { weight });
    // An entry written by a foreign registry client may lack the weight altogether.
    if (weight === undefined) (e.instance as { weight?: number }).weight = undefined;
    return e;
  });
}

function sequence(balancer: WeightedRoundRobinBalancer, endpoints: FakeEndpoint[], picks: number): string {
  let out = '';
  for (let i = 0; i < picks; i++) out += balancer.pick(endpoints, ctx)!.address;
  return out;
}

describe('WeightedRoundRobinBalancer', () => {
  it('spreads picks smoothly: weights 5, 1, 1 give a a b a c a a', () => {
    const endpoints = weighted({ a: 5, b: 1, c: 1 });
    expect(sequence(new WeightedRoundRobinBalancer(), endpoints, 21)).toBe('aabacaa'.repeat(3));
  });

  it('matches the weights within 5% over 10,000 picks', () => {
    const endpoints = weighted({ a: 5, b: 3, c: 2 });
    const balancer = new WeightedRoundRobinBalancer();
    const counts = tally(Array.from({ length: 10_000 }, () => balancer.pick(endpoints, ctx)));
    const expected: Record<string, number> = { a: 5000, b: 3000, c: 2000 };
    for (const [name, want] of Object.entries(expected)) {
      expect(Math.abs(counts.get(name)! - want) / want).toBeLessThanOrEqual(0.05);
    }
  });

  it('gives uneven, non-integer weights their share', () => {
    const endpoints = weighted({ a: 0.5, b: 1.5, c: 7 });
    const balancer = new WeightedRoundRobinBalancer();
    const counts = tally(Array.from({ length: 9_000 }, () => balancer.pick(endpoints, ctx)));
    expect(counts.get('a')! / 9_000).toBeCloseTo(0.5 / 9, 2);
    expect(counts.get('b')! / 9_000).toBeCloseTo(1.5 / 9, 2);
    expect(counts.get('c')! / 9_000).toBeCloseTo(7 / 9, 2);
  });

  it('keeps its sequence when the same endpoints arrive in another order', () => {
    const endpoints = weighted({ a: 2, b: 1 });
    const balancer = new WeightedRoundRobinBalancer();
    const counts = tally(
      Array.from({ length: 3000 }, (_, i) => balancer.pick(i % 2 === 0 ? endpoints : [...endpoints].reverse(), ctx)),
    );
    expect(counts.get('a')).toBe(2000);
    expect(counts.get('b')).toBe(1000);
  });

  it('gives a joining endpoint its share from the next cycle on', () => {
    const endpoints = weighted({ a: 3, b: 1, d: 4 });
    const before = endpoints.slice(0, 2);
    const balancer = new WeightedRoundRobinBalancer();
    expect(tally(Array.from({ length: 400 }, () => balancer.pick(before, ctx))).get('a')).toBe(300);
    const after = tally(Array.from({ length: 8000 }, () => balancer.pick(endpoints, ctx)));
    expect(after.get('a')).toBe(3000);
    expect(after.get('b')).toBe(1000);
    expect(after.get('d')).toBe(4000);
  });

  it('stops picking an endpoint that left and keeps the others at their weights', () => {
    const endpoints = weighted({ a: 3, b: 1, c: 4 });
    const balancer = new WeightedRoundRobinBalancer();
    sequence(balancer, endpoints, 5); // stop mid-cycle, with non-zero scores
    const remaining = [endpoints[0], endpoints[1]];
    const counts = tally(Array.from({ length: 4000 }, () => balancer.pick(remaining, ctx)));
    expect(counts.get('c')).toBeUndefined();
    expect(counts.get('a')).toBe(3000);
    expect(counts.get('b')).toBe(1000);
  });

  it('gives weight 0 no traffic while another endpoint has weight', () => {
    const endpoints = weighted({ a: 0, b: 2 });
    expect(sequence(new WeightedRoundRobinBalancer(), endpoints, 10)).toBe('b'.repeat(10));
  });

  it('shares equally when every weight is 0', () => {
    const endpoints = weighted({ a: 0, b: 0, c: 0 });
    expect(sequence(new WeightedRoundRobinBalancer(), endpoints, 6)).toBe('abcabc');
  });

  it('treats a missing weight as the default of 1', () => {
    const endpoints = weighted({ a: 2, b: undefined });
    expect(sequence(new WeightedRoundRobinBalancer(), endpoints, 6)).toBe('abaaba');
  });

  it('skips breaker-open and ejected endpoints while a healthy one is offered', () => {
    const endpoints = weighted({ a: 1, b: 10, c: 10 });
    endpoints[1].breaker = 'open';
    endpoints[2].ejected = true;
    expect(sequence(new WeightedRoundRobinBalancer(), endpoints, 5)).toBe('aaaaa');
  });
});
