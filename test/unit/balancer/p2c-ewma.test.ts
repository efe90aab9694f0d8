import { P2cEwmaBalancer } from '../../../src/balancer';
import { callContext, fakeEndpoint, fakeEndpoints, type FakeEndpoint, seededRandom, tally } from './fakes';

const ctx = callContext();

/**
 * A discrete-event run: one call every `intervalMs`, each endpoint answering after its own
 * latency (±20% jitter). In-flight counts rise on pick and fall on reply; `ewmaMs` follows the
 * replies with peak-EWMA as the client does (a slower sample at once, faster ones decayed in).
 * Returns each endpoint's share of picks.
 */
export function simulate(latenciesMs: number[], intervalMs: number, calls: number, seed: number): number[] {
  const random = seededRandom(seed);
  const endpoints = fakeEndpoints(latenciesMs.length);
  const replies: number[][] = endpoints.map(() => []);
  const lastReplyAt = endpoints.map(() => 0);
  const picked = endpoints.map(() => 0);
  const balancer = new P2cEwmaBalancer(seededRandom(seed + 1));
  const decayMs = 1000;

  for (let call = 0, now = 0; call < calls; call++, now += intervalMs) {
    endpoints.forEach((e, i) => {
      const queue = replies[i];
      while (queue.length > 0 && queue[0] <= now) {
        queue.shift();
        e.inFlight--;
        const sample = latenciesMs[i];
        const w = Math.exp(-(now - lastReplyAt[i]) / decayMs);
        e.ewmaMs = e.ewmaMs === 0 || sample > e.ewmaMs ? sample : e.ewmaMs * w + sample * (1 - w);
        lastReplyAt[i] = now;
      }
    });
    const e = balancer.pick(endpoints, ctx) as FakeEndpoint;
    const i = endpoints.indexOf(e);
    picked[i]++;
    e.inFlight++;
    const latency = latenciesMs[i] * (0.8 + 0.4 * random());
    // Replies are kept in reply-time order (latencies per endpoint are close, so insertion is short).
    const queue = replies[i];
    let at = queue.length;
    while (at > 0 && queue[at - 1] > now + latency) at--;
    queue.splice(at, 0, now + latency);
  }
  return picked.map((n) => n / calls);
}

describe('P2cEwmaBalancer', () => {
  it('returns the only endpoint when given one', () => {
    const [only] = fakeEndpoints(1);
    expect(new P2cEwmaBalancer().pick([only], ctx)).toBe(only);
  });

  it('takes the lower latency of two idle endpoints', () => {
    const fast = fakeEndpoint('10.0.0.1:4000', { ewmaMs: 10 });
    const slow = fakeEndpoint('10.0.0.2:4000', { ewmaMs: 20 });
    const balancer = new P2cEwmaBalancer();
    for (let i = 0; i < 100; i++) expect(balancer.pick([slow, fast], ctx)).toBe(fast);
  });

  it('weighs latency by calls in flight: 10 ms with 3 queued costs more than 20 ms with none', () => {
    const busy = fakeEndpoint('10.0.0.1:4000', { ewmaMs: 10, inFlight: 3 });
    const idle = fakeEndpoint('10.0.0.2:4000', { ewmaMs: 20, inFlight: 0 });
    const balancer = new P2cEwmaBalancer();
    for (let i = 0; i < 100; i++) expect(balancer.pick([busy, idle], ctx)).toBe(idle);
  });

  it('splits evenly between two endpoints of equal cost', () => {
    const endpoints = fakeEndpoints(2, { ewmaMs: 5 });
    const balancer = new P2cEwmaBalancer(seededRandom(3));
    const counts = tally(Array.from({ length: 10_000 }, () => balancer.pick(endpoints, ctx)));
    expect(counts.get(endpoints[0].address)! / 10_000).toBeCloseTo(0.5, 1);
  });

  it('sends traffic to an endpoint with no latency sample yet', () => {
    const endpoints = [
      fakeEndpoint('10.0.0.1:4000', { ewmaMs: 10 }),
      fakeEndpoint('10.0.0.2:4000', { ewmaMs: 10 }),
      fakeEndpoint('10.0.0.3:4000', { ewmaMs: 0 }),
    ];
    const balancer = new P2cEwmaBalancer(seededRandom(4));
    const counts = tally(Array.from({ length: 9_000 }, () => balancer.pick(endpoints, ctx)));
    // Costed as fast as its peer, it gets about a third; no flood, no starvation.
    expect(counts.get('10.0.0.3:4000')! / 9_000).toBeGreaterThan(0.25);
    expect(counts.get('10.0.0.3:4000')! / 9_000).toBeLessThan(0.42);
  });

  it('spreads calls over endpoints that all lack a sample', () => {
    const endpoints = fakeEndpoints(4);
    const balancer = new P2cEwmaBalancer(seededRandom(5));
    const counts = tally(Array.from({ length: 8_000 }, () => balancer.pick(endpoints, ctx)));
    for (const e of endpoints) expect(Math.abs(counts.get(e.address)! / 8_000 - 0.25)).toBeLessThan(0.03);
  });

  it('sends under 10% of calls to an endpoint 50 ms slower than its two peers', () => {
    // 5 ms, 5 ms and 55 ms at 1,000 calls/s: each fast endpoint holds a few calls in flight.
    const shares = simulate([5, 5, 55], 1, 10_000, 11);
    expect(shares[2]).toBeLessThan(0.1);
    expect(shares[0]).toBeGreaterThan(0.4);
    expect(shares[1]).toBeGreaterThan(0.4);
  });

  it('still keeps the slow endpoint under 10% when the fast ones queue at 5,000 calls/s', () => {
    const shares = simulate([5, 5, 55], 0.2, 10_000, 12);
    expect(shares[2]).toBeLessThan(0.1);
  });

  describe('within one turn of the event loop', () => {
    /** A random source that counts its draws: a fresh pick draws two numbers, a held one draws one. */
    function countingRandom(seed: number): { random: () => number; draws: () => number } {
      const next = seededRandom(seed);
      let n = 0;
      return {
        random: () => {
          n++;
          return next();
        },
        draws: () => n,
      };
    }

    const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

    it('keeps the winner as one candidate for the rest of the turn, and draws afresh in the next', async () => {
      const endpoints = fakeEndpoints(3, { ewmaMs: 5 });
      const { random, draws } = countingRandom(21);
      const balancer = new P2cEwmaBalancer(random);
      balancer.pick(endpoints, ctx);
      expect(draws()).toBe(2);
      balancer.pick(endpoints, ctx);
      balancer.pick(endpoints, ctx);
      expect(draws()).toBe(4);
      await nextTurn();
      balancer.pick(endpoints, ctx);
      expect(draws()).toBe(6);
    });

    it('sends a burst to the endpoint that just emptied its queue, until its cost catches up', () => {
      // One endpoint has just answered all it held; the other two still hold 30 calls each.
      const picked: number[] = [];
      for (let seed = 1; seed <= 20; seed++) {
        const endpoints = [
          fakeEndpoint('10.0.0.1:4000', { ewmaMs: 5, inFlight: 30 }),
          fakeEndpoint('10.0.0.2:4000', { ewmaMs: 5, inFlight: 0 }),
          fakeEndpoint('10.0.0.3:4000', { ewmaMs: 5, inFlight: 30 }),
        ];
        const balancer = new P2cEwmaBalancer(seededRandom(seed));
        for (let k = 0; k < 30; k++) (balancer.pick(endpoints, ctx) as FakeEndpoint).inFlight++;
        picked.push(30 - endpoints[1].inFlight);
      }
      // Drawing both candidates afresh each time, the pair leaves it out a third of the time: about
      // ten of the thirty would go elsewhere. Held, it misses only the picks before it is first drawn.
      const elsewhere = picked.reduce((s, x) => s + x, 0) / picked.length;
      expect(elsewhere).toBeLessThan(3);
    });

    it('lets endpoints of equal cost take turns instead of holding one', () => {
      const endpoints = fakeEndpoints(3, { ewmaMs: 5 });
      const balancer = new P2cEwmaBalancer(seededRandom(22));
      const counts = tally(Array.from({ length: 9_000 }, () => balancer.pick(endpoints, ctx)));
      for (const e of endpoints) expect(Math.abs(counts.get(e.address)! / 9_000 - 1 / 3)).toBeLessThan(0.03);
    });

    it('draws afresh when the held winner is not in the list it is given', () => {
      const endpoints = fakeEndpoints(4, { ewmaMs: 5 });
      const { random, draws } = countingRandom(23);
      const balancer = new P2cEwmaBalancer(random);
      const first = balancer.pick(endpoints, ctx);
      const rest = endpoints.filter((e) => e !== first);
      for (let k = 0; k < 50; k++) expect(rest).toContain(balancer.pick(rest, ctx));
      // The first pick from the shorter list drew two numbers; the ones after it held its winner.
      expect(draws()).toBe(2 + 2 + 49);
    });
  });

  it('never picks a breaker-open or ejected endpoint while a healthy one is offered', () => {
    const open = fakeEndpoint('10.0.0.1:4000', { ewmaMs: 1, breaker: 'open' });
    const ejected = fakeEndpoint('10.0.0.2:4000', { ewmaMs: 1, ejected: true });
    const healthy = [fakeEndpoint('10.0.0.3:4000', { ewmaMs: 50 }), fakeEndpoint('10.0.0.4:4000', { ewmaMs: 60 })];
    const balancer = new P2cEwmaBalancer(seededRandom(6));
    const counts = tally(Array.from({ length: 1000 }, () => balancer.pick([open, healthy[0], ejected, healthy[1]], ctx)));
    expect(counts.get(open.address)).toBeUndefined();
    expect(counts.get(ejected.address)).toBeUndefined();
    expect(counts.get(healthy[0].address)).toBe(1000);
  });
});

describe('P2cEwmaBalancer and server load reports (loadFactor)', () => {
  it('sends fewer calls to an endpoint whose server reports a growing queue, at equal latency and in-flight', () => {
    // Two endpoints: every pick weighs both, so the cheaper always wins.
    const balancer = new P2cEwmaBalancer(seededRandom(7));
    const calm = fakeEndpoint('10.0.0.1:4000', { ewmaMs: 5, loadFactor: 1 });
    const queued = fakeEndpoint('10.0.0.2:4000', { ewmaMs: 5, loadFactor: 3 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 1_000; i++) {
      const e = balancer.pick([calm, queued], ctx) as FakeEndpoint;
      counts.set(e.address, (counts.get(e.address) ?? 0) + 1);
    }
    expect(counts.get('10.0.0.1:4000')).toBe(1_000);
  });

  it('treats a missing loadFactor as 1', () => {
    const balancer = new P2cEwmaBalancer(seededRandom(3));
    const a = fakeEndpoint('10.0.0.1:4000', { ewmaMs: 5, inFlight: 3 });
    const b = fakeEndpoint('10.0.0.2:4000', { ewmaMs: 5, inFlight: 1, loadFactor: 1 });
    expect(balancer.pick([a, b], ctx)).toBe(b);
  });
});
