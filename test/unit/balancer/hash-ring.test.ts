import { HashRing, hashString } from '../../../src/balancer/hash-ring';

describe('hashString', () => {
  it('returns the same unsigned 32-bit values in every release', () => {
    // Clients of different versions build their rings from these values and must agree.
    expect(['', 'a', 'user-42', '10.0.0.1:4000#0'].map(hashString)).toEqual([2872998923, 444641715, 2083131798, 1945715889]);
  });

  it('spreads keys that differ only in their last character over the whole range', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) buckets[hashString(`10.0.0.7:4000#${i}`) >>> 28]++;
    // 1,000 expected per top-4-bit bucket; the standard deviation is about 31.
    for (const n of buckets) expect(Math.abs(n - 1_000)).toBeLessThan(200);
  });
});

describe('HashRing', () => {
  it('holds virtual nodes for each distinct address', () => {
    const ring = new HashRing(['a:1', 'b:1', 'a:1'], 100);
    expect(ring.addresses).toEqual(['a:1', 'b:1']);
    expect(ring.size).toBe(200);
  });

  it('wraps a hash above the last point to the first', () => {
    const ring = new HashRing(['a:1', 'b:1'], 10);
    expect(ring.firstPointAt(0xffffffff)).toBe(0);
    expect(ring.firstPointAt(0)).toBe(0);
  });

  it('orders points by position whatever the order of the addresses', () => {
    const x = new HashRing(['a:1', 'b:1', 'c:1'], 50);
    const y = new HashRing(['c:1', 'a:1', 'b:1'], 50);
    for (let p = 0; p < x.size; p++) expect(x.addresses[x.ownerAt(p)]).toBe(y.addresses[y.ownerAt(p)]);
  });
});
