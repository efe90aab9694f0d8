/**
 * 32-bit FNV-1a over the UTF-16 code units of `s`, then murmur3's fmix32 finalizer. FNV-1a
 * alone spreads strings that differ only in their last character (`'10.0.0.7:4000#12'` and
 * `'#13'`) poorly across the high bits that order the ring; the finalizer mixes every input bit
 * into every output bit. Deterministic across processes, so every client builds the same ring
 * from the same addresses and sends a key to the same endpoint. No allocation.
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An immutable hash ring: each address owns `virtualNodes` points, placed at
 * `hashString('<address>#<i>')`. Built only when the set of addresses changes; lookups are a
 * binary search over typed arrays.
 */
export class HashRing {
  /** The addresses, one per slot; `owners` holds slot numbers. */
  readonly addresses: readonly string[];
  /** The slot of each address. */
  readonly slotOf: ReadonlyMap<string, number>;
  /** Point positions, ascending. */
  private readonly points: Uint32Array;
  /** The slot owning each point. */
  private readonly owners: Uint32Array;

  /** `addresses` may repeat or come in any order: the ring depends only on the set. */
  constructor(addresses: Iterable<string>, virtualNodes: number) {
    const unique = [...new Set(addresses)];
    const slotOf = new Map<string, number>();
    for (let s = 0; s < unique.length; s++) slotOf.set(unique[s], s);

    const placed: Array<{ at: number; slot: number }> = [];
    for (let s = 0; s < unique.length; s++) {
      for (let v = 0; v < virtualNodes; v++) placed.push({ at: hashString(`${unique[s]}#${v}`), slot: s });
    }
    // Break (rare) position ties by address, not slot, so the ring does not depend on the order
    // the addresses came in.
    placed.sort((x, y) => x.at - y.at || (unique[x.slot] < unique[y.slot] ? -1 : unique[x.slot] > unique[y.slot] ? 1 : 0));

    this.addresses = unique;
    this.slotOf = slotOf;
    this.points = new Uint32Array(placed.length);
    this.owners = new Uint32Array(placed.length);
    for (let p = 0; p < placed.length; p++) {
      this.points[p] = placed[p].at;
      this.owners[p] = placed[p].slot;
    }
  }

  /** How many points the ring holds (addresses × virtual nodes). */
  get size(): number {
    return this.points.length;
  }

  /** The index of the first point at or after `hash`, wrapping past the top to 0. */
  firstPointAt(hash: number): number {
    const points = this.points;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === points.length ? 0 : lo;
  }

  /** The slot owning point `p`. */
  ownerAt(p: number): number {
    return this.owners[p];
  }
}
