import { IdTable } from '../../../src/util/id-table';

/** A small seeded generator, so a failing sequence can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('IdTable', () => {
  it('stores, finds, replaces and deletes entries by id', () => {
    const t = new IdTable<string>();
    t.set(1, 'a');
    t.set(2, 'b');
    t.set(4_294_967_295, 'max');
    expect(t.size).toBe(3);
    expect(t.get(1)).toBe('a');
    expect(t.get(4_294_967_295)).toBe('max');
    expect(t.get(3)).toBeUndefined();
    t.set(1, 'A');
    expect(t.size).toBe(3);
    expect(t.get(1)).toBe('A');
    expect(t.delete(1)).toBe(true);
    expect(t.delete(1)).toBe(false);
    expect(t.has(1)).toBe(false);
    expect(t.has(2)).toBe(true);
    expect(t.size).toBe(2);
  });

  it('rejects ids that are not integers from 1 to 2^32-1', () => {
    const t = new IdTable<string>();
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => t.set(bad, 'x')).toThrow(RangeError);
    }
    expect(t.size).toBe(0);
  });

  it('grows past its first capacity and keeps every entry', () => {
    const t = new IdTable<number>(16);
    for (let id = 1; id <= 5_000; id++) t.set(id, id * 10);
    expect(t.size).toBe(5_000);
    for (let id = 1; id <= 5_000; id++) expect(t.get(id)).toBe(id * 10);
    expect(t.get(5_001)).toBeUndefined();
  });

  it('agrees with a Map over a long random run of sets and deletes, clustered ids included', () => {
    const next = lcg(42);
    const t = new IdTable<number>();
    const ref = new Map<number, number>();
    // Strided ids (multiples of 1024) land in few home slots without a good hash; sequential
    // ids are what a client sends; random ones are what a hostile peer could.
    const pick = (): number => {
      const r = next();
      if (r % 3 === 0) return ((r >>> 8) % 4_000) + 1;
      if (r % 3 === 1) return (((r >>> 8) % 300) + 1) * 1024;
      return r || 1;
    };
    for (let step = 0; step < 50_000; step++) {
      const id = pick();
      if (next() % 2 === 0) {
        t.set(id, step);
        ref.set(id, step);
      } else {
        expect(t.delete(id)).toBe(ref.delete(id));
      }
      if (step % 997 === 0) {
        expect(t.size).toBe(ref.size);
        const wrong = [...ref].filter(([k, v]) => t.get(k) !== v);
        expect(wrong).toEqual([]);
      }
    }
    expect(t.size).toBe(ref.size);
    expect(t.entries().sort((a, b) => a - b)).toEqual([...ref.values()].sort((a, b) => a - b));
  });

  it('finds every remaining entry after deletes in the middle of a probe run', () => {
    const t = new IdTable<number>(16);
    // Enough entries to force collisions in 32 slots, then delete every other one.
    const ids = Array.from({ length: 15 }, (_, i) => (i + 1) * 65_536);
    for (const id of ids) t.set(id, id);
    for (let i = 0; i < ids.length; i += 2) expect(t.delete(ids[i])).toBe(true);
    for (let i = 0; i < ids.length; i++) expect(t.get(ids[i])).toBe(i % 2 === 0 ? undefined : ids[i]);
  });

  it('gives a snapshot that stays whole while the table is emptied', () => {
    const t = new IdTable<number>();
    for (let id = 1; id <= 40; id++) t.set(id, id);
    const seen: number[] = [];
    for (const v of t.entries()) {
      seen.push(v);
      t.delete(v);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(t.size).toBe(0);
  });

  it('clears every entry', () => {
    const t = new IdTable<number>();
    for (let id = 1; id <= 100; id++) t.set(id, id);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.get(50)).toBeUndefined();
    t.set(50, 5);
    expect(t.get(50)).toBe(5);
  });
});
