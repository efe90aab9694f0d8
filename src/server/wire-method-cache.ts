/**
 * Finds a v2 request's method (a dispatcher's entry, `E`) by the bytes of its names (the head's length fields and names, as
 * sent), so a server neither decodes two strings nor hashes them into two maps per call.
 *
 * Why: decoding the names cost two native `toString` calls and two short-lived strings per
 * request, then two Map lookups that hash those fresh strings; in a W2 profile (100 calls in
 * flight, `multiply`) that was about 7% of the server's CPU. This costs one pass over some 20
 * bytes to hash them, one integer-keyed Map lookup and one pass to check the bytes.
 *
 * Only methods that exist are remembered, so what it holds is bounded by the methods served
 * (a peer sending made-up names takes the slow path every time and adds nothing).
 */
export class WireMethodCache<E> {
  private readonly byHash = new Map<number, CachedMethod<E>>();

  /** The entry for the names in `payload[from, to)`, or undefined when not seen yet. */
  find(payload: Buffer, from: number, to: number): E | undefined {
    let c = this.byHash.get(hashBytes(payload, from, to));
    while (c !== undefined) {
      if (sameBytes(c.key, payload, from, to)) return c.entry;
      c = c.next;
    }
    return undefined;
  }

  /** Remembers that the names in `payload[from, to)` are `entry`'s (copies the bytes). */
  remember(payload: Buffer, from: number, to: number, entry: E): void {
    const h = hashBytes(payload, from, to);
    const key = Buffer.from(payload.subarray(from, to));
    this.byHash.set(h, { key, entry, next: this.byHash.get(h) });
  }
}

interface CachedMethod<E> {
  readonly key: Buffer;
  readonly entry: E;
  /** Another method whose names hash the same. */
  readonly next: CachedMethod<E> | undefined;
}

/** FNV-1a over the span (32 bits): the names are short, so a byte loop beats a native call. */
function hashBytes(b: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h;
}

function sameBytes(key: Buffer, b: Buffer, from: number, to: number): boolean {
  const n = key.length;
  if (n !== to - from) return false;
  for (let i = 0; i < n; i++) if (key[i] !== b[from + i]) return false;
  return true;
}
