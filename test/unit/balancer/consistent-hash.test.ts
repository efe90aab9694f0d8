import { ConsistentHashBalancer, type EndpointView } from '../../../src/balancer';
import { isRpcError, RivetConfigError } from '../../../src/errors';
import { callContext, fakeEndpoints, type FakeEndpoint, tally } from './fakes';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const CONTEXTS = KEYS.map((key) => callContext({ key }));
const byKey = (ctx: { metadata: Record<string, string> }): string => ctx.metadata.key;

/** Where each of the 10,000 keys goes with `endpoints` all idle. */
function placement(balancer: ConsistentHashBalancer, endpoints: readonly EndpointView[]): string[] {
  return CONTEXTS.map((ctx) => balancer.pick(endpoints, ctx)!.address);
}

describe('ConsistentHashBalancer', () => {
  it('sends the same key to the same endpoint on every pick', () => {
    const endpoints = fakeEndpoints(5);
    const balancer = new ConsistentHashBalancer(byKey);
    const first = placement(balancer, endpoints);
    expect(placement(balancer, endpoints)).toEqual(first);
  });

  it('places keys by the set of addresses alone, so every client agrees whatever the order', () => {
    const endpoints = fakeEndpoints(5);
    const shuffled = [endpoints[3], endpoints[0], endpoints[4], endpoints[2], endpoints[1]];
    expect(placement(new ConsistentHashBalancer(byKey), shuffled)).toEqual(
      placement(new ConsistentHashBalancer(byKey), endpoints),
    );
  });

  it('keeps its placement stable across releases for a fixed ring', () => {
    // Clients of different versions in one fleet must agree; a change here remaps every key.
    const endpoints = fakeEndpoints(4);
    const balancer = new ConsistentHashBalancer(byKey);
    const pinned = KEYS.slice(0, 8).map((key) => balancer.pick(endpoints, callContext({ key }))!.address.split(':')[0]);
    expect(pinned).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.2', '10.0.0.1', '10.0.0.4', '10.0.0.1', '10.0.0.3', '10.0.0.3']);
  });

  it('spreads 10,000 keys over 4 endpoints within 25% of an even share', () => {
    const endpoints = fakeEndpoints(4);
    const counts = new Map<string, number>();
    for (const address of placement(new ConsistentHashBalancer(byKey), endpoints)) counts.set(address, (counts.get(address) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const n of counts.values()) expect(Math.abs(n - 2_500) / 2_500).toBeLessThan(0.25);
  });

  it('moves about 1/N of keys, all to the newcomer, when a fifth endpoint joins', () => {
    const endpoints = fakeEndpoints(5);
    const balancer = new ConsistentHashBalancer(byKey);
    const before = placement(balancer, endpoints.slice(0, 4));
    const after = placement(balancer, endpoints);
    const moved = before.filter((address, i) => address !== after[i]);
    const movedFraction = moved.length / KEYS.length;
    expect(movedFraction).toBeGreaterThanOrEqual(0.1);
    expect(movedFraction).toBeLessThanOrEqual(0.3);
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== after[i]) expect(after[i]).toBe(endpoints[4].address);
    }
  });

  it('moves only the keys of an endpoint that leaves', () => {
    const endpoints = fakeEndpoints(5);
    const balancer = new ConsistentHashBalancer(byKey);
    const before = placement(balancer, endpoints);
    const after = placement(balancer, [endpoints[0], endpoints[1], endpoints[3], endpoints[4]]);
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== endpoints[2].address) expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe(endpoints[2].address);
    }
  });

  it('sends a key to the next endpoint while its own is left out, and back when it returns', () => {
    const endpoints = fakeEndpoints(4);
    const balancer = new ConsistentHashBalancer(byKey);
    const ctx = callContext({ key: 'cart-7' });
    const home = balancer.pick(endpoints, ctx)!;
    const others = endpoints.filter((e) => e !== home);
    const fallback = balancer.pick(others, ctx)!;
    expect(fallback).not.toBe(home);
    // The fallback is the key's home on a ring without the left-out endpoint.
    expect(new ConsistentHashBalancer(byKey).pick(others, ctx)).toBe(fallback);
    expect(balancer.pick(endpoints, ctx)).toBe(home);
  });

  it('places keys as before after an endpoint stays away for many picks and returns', () => {
    const endpoints = fakeEndpoints(4);
    const balancer = new ConsistentHashBalancer(byKey);
    const before = placement(balancer, endpoints);
    const ctx = callContext({ key: 'cart-7' });
    for (let i = 0; i < 20_000; i++) balancer.pick(endpoints.slice(1), ctx);
    expect(placement(balancer, endpoints)).toEqual(before);
  });

  it('spills a key to the next endpoint on the ring while its own is over 1.25 × the average load', () => {
    const endpoints = fakeEndpoints(4);
    const balancer = new ConsistentHashBalancer(byKey);
    const ctx = callContext({ key: 'cart-7' });
    const home = endpoints.find((e) => e === balancer.pick(endpoints, ctx))!;
    const next = balancer.pick(endpoints.filter((e) => e !== home), ctx);

    for (const e of endpoints) e.inFlight = 4;
    // The bound counts this call: ceil(1.25 × (in flight + 1) / 4).
    home.inFlight = 5; // ceil(1.25 × 18 / 4) = 6, and home would hold 6: it fits
    expect(balancer.pick(endpoints, ctx)).toBe(home);
    home.inFlight = 6; // ceil(1.25 × 19 / 4) = 6, and home would hold 7: it spills
    expect(balancer.pick(endpoints, ctx)).toBe(next);
    home.inFlight = 4;
    expect(balancer.pick(endpoints, ctx)).toBe(home);
  });

  it('keeps every endpoint within the bound when one hot key carries all the calls', () => {
    const endpoints = fakeEndpoints(4);
    const balancer = new ConsistentHashBalancer(byKey);
    const ctx = callContext({ key: 'hot' });
    for (let i = 0; i < 1000; i++) (balancer.pick(endpoints, ctx) as FakeEndpoint).inFlight++;
    const loads = endpoints.map((e) => e.inFlight);
    expect(Math.max(...loads)).toBeLessThanOrEqual(Math.ceil((1.25 * 1000) / 4));
    expect(loads.filter((n) => n > 0).length).toBe(4);
  });

  it('treats a breaker-open or ejected home like a missing one', () => {
    const endpoints = fakeEndpoints(4);
    const balancer = new ConsistentHashBalancer(byKey);
    const ctx = callContext({ key: 'cart-7' });
    const home = endpoints.find((e) => e === balancer.pick(endpoints, ctx))!;
    const next = balancer.pick(endpoints.filter((e) => e !== home), ctx);
    home.breaker = 'open';
    expect(balancer.pick(endpoints, ctx)).toBe(next);
    home.breaker = 'halfOpen';
    expect(balancer.pick(endpoints, ctx)).toBe(home);
    home.ejected = true;
    expect(balancer.pick(endpoints, ctx)).toBe(next);
  });

  it('spreads calls whose key function returns no string, with no affinity', () => {
    const endpoints = fakeEndpoints(4);
    const balancer = new ConsistentHashBalancer((ctx) => ctx.metadata.missing);
    const counts = tally(Array.from({ length: 4_000 }, () => balancer.pick(endpoints, callContext())));
    expect(counts.size).toBe(4);
  });

  it('fails the attempt with INTERNAL when the key function throws', () => {
    const cause = new Error('no tenant');
    const balancer = new ConsistentHashBalancer(() => {
      throw cause;
    });
    let thrown: unknown;
    try {
      balancer.pick(fakeEndpoints(3), callContext());
    } catch (err) {
      thrown = err;
    }
    expect(isRpcError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'INTERNAL', message: 'consistentHash key function threw: no tenant', cause });
  });

  it('rejects a load factor below 1 or a bad virtual node count at construction', () => {
    expect(() => new ConsistentHashBalancer(byKey, { loadFactor: 0.9 })).toThrow(/loadFactor must be a finite number >= 1/);
    expect(() => new ConsistentHashBalancer(byKey, { virtualNodes: 0 })).toThrow(/virtualNodes must be an integer from 1 to 1000/);
    expect(() => new ConsistentHashBalancer('key' as unknown as typeof byKey)).toThrow(RivetConfigError);
  });
});
