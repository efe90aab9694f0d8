import type { CallContext } from '../call';
import { RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import type { Balancer } from './balancer';
import type { EndpointView } from './endpoint-view';
import { HashRing, hashString } from './hash-ring';
import { preferHealthy } from './prefer-healthy';

/** The affinity key of a call, e.g. `(ctx) => ctx.metadata['tenant-id']`. Runs once per pick. */
export type HashKeyFn = (ctx: CallContext) => string;

/** Tuning of {@link ConsistentHashBalancer}; the `{ consistentHash }` policy uses the defaults. */
export interface ConsistentHashOptions {
  /**
   * `c` of "consistent hashing with bounded loads": an endpoint takes a call only while its
   * in-flight count stays within `c` × the average (this call included). Default 1.25; a number
   * >= 1. Lower spreads load sooner and moves more keys off their home endpoint under load.
   */
  loadFactor?: number;
  /** Points per address on the ring. Default 160; an integer from 1 to 1000. More points, more even shares. */
  virtualNodes?: number;
}

const DEFAULT_LOAD_FACTOR = 1.25;
const DEFAULT_VIRTUAL_NODES = 160;
const MAX_VIRTUAL_NODES = 1000;
/**
 * Picks in a row that find an address of the ring absent before the ring is rebuilt without it.
 * An endpoint is absent for a moment when a retry leaves it out or its breaker opens; rebuilding
 * then would cost two rebuilds per blip for no change in placement (the walk skips absent
 * addresses, which is the same as a ring without them). Only a lasting absence is compacted.
 */
const COMPACT_AFTER_PICKS = 10_000;

/**
 * Consistent hashing with bounded load (Mirrokni, Thorup and Zadimoghaddam; the scheme Google
 * and Vimeo use for cache affinity). Calls with the same key go to the same endpoint while it
 * is present and not overloaded; when an endpoint joins or leaves, only about 1/N of keys move.
 * An endpoint whose in-flight count has reached its bound is passed over for the next one on
 * the ring, so one hot key cannot swamp one endpoint. The ring is rebuilt only when a new
 * address appears (or one stays away), never per pick. A key that is not a string (the header
 * it reads is missing) lands at a random point: no affinity, but still bounded.
 * O(n) per pick, for the average load; no allocation while the set is unchanged.
 */
export class ConsistentHashBalancer implements Balancer {
  private readonly loadFactor: number;
  private readonly virtualNodes: number;
  private ring: HashRing | undefined;
  /** Per slot: the pick number that last saw its address, and the endpoint it was seen as. */
  private marks = new Uint32Array(0);
  private views: Array<EndpointView | undefined> = [];
  private epoch = 0;
  /** The distinct addresses and their summed in-flight counts, from the last `mark`. */
  private present = 0;
  private totalInFlight = 0;
  private partialPicks = 0;

  /**
   * @param keyOf - the affinity key of a call. Throws RivetConfigError (RIVET_ERR_INVALID_OPTION)
   *   when it is not a function or an option is out of range.
   */
  constructor(
    private readonly keyOf: HashKeyFn,
    options: ConsistentHashOptions = {},
  ) {
    if (typeof keyOf !== 'function') {
      throw new RivetConfigError(
        RivetErrorCode.RIVET_ERR_INVALID_OPTION,
        'ConsistentHashBalancer needs a key function (ctx) => string, e.g. (ctx) => ctx.metadata.userId.',
      );
    }
    const c = options.loadFactor ?? DEFAULT_LOAD_FACTOR;
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 1) {
      throw new RivetConfigError(
        RivetErrorCode.RIVET_ERR_INVALID_OPTION,
        `ConsistentHashBalancer loadFactor must be a finite number >= 1, got ${String(c)}. Leave it out to use the default (${DEFAULT_LOAD_FACTOR}).`,
      );
    }
    const v = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX_VIRTUAL_NODES) {
      throw new RivetConfigError(
        RivetErrorCode.RIVET_ERR_INVALID_OPTION,
        `ConsistentHashBalancer virtualNodes must be an integer from 1 to ${MAX_VIRTUAL_NODES}, got ${String(v)}. Leave it out to use the default (${DEFAULT_VIRTUAL_NODES}).`,
      );
    }
    this.loadFactor = c;
    this.virtualNodes = v;
  }

  /**
   * The endpoint for `ctx`'s key. Rejects the attempt with an RpcError `INTERNAL` (the original
   * as `cause`) when the key function throws: that is a bug to see, not a reason to guess.
   */
  pick(endpoints: readonly EndpointView[], ctx: CallContext): EndpointView | undefined {
    const list = preferHealthy(endpoints);
    const n = list.length;
    if (n === 0) return undefined;
    if (n === 1) return list[0];
    const hash = this.hashOf(ctx);

    if (!this.mark(list)) {
      this.rebuild(list);
      this.mark(list);
    } else if (this.present < this.ring!.addresses.length) {
      if (++this.partialPicks >= COMPACT_AFTER_PICKS) {
        this.rebuild(list);
        this.mark(list);
      }
    } else {
      this.partialPicks = 0;
    }

    const ring = this.ring!;
    // Bounded loads: at most ceil(c × average) in flight once this call is placed. The least
    // loaded endpoint always fits (c >= 1), so the walk ends within one lap.
    const bound = Math.ceil((this.loadFactor * (this.totalInFlight + 1)) / this.present);
    const marks = this.marks;
    const epoch = this.epoch;
    let p = ring.firstPointAt(hash);
    let home: EndpointView | undefined;
    for (let step = 0; step < ring.size; step++) {
      const slot = ring.ownerAt(p);
      if (marks[slot] === epoch) {
        const view = this.views[slot]!;
        if (view.inFlight + 1 <= bound) return view;
        home ??= view;
      }
      p = p + 1 === ring.size ? 0 : p + 1;
    }
    // Only with non-integer or NaN in-flight counts from a custom EndpointView.
    return home ?? list[0];
  }

  private hashOf(ctx: CallContext): number {
    let key: unknown;
    try {
      key = this.keyOf(ctx);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new RpcError('INTERNAL', `consistentHash key function threw: ${message}`, undefined, { cause: err });
    }
    return typeof key === 'string' ? hashString(key) : (Math.random() * 0x100000000) >>> 0;
  }

  /**
   * Stamps the slot of every address in `list` with a new pick number and sums their load.
   * Returns false, having stamped only part of the list, when an address is not on the ring.
   */
  private mark(list: readonly EndpointView[]): boolean {
    const ring = this.ring;
    if (ring === undefined) return false;
    let epoch = (this.epoch + 1) >>> 0;
    if (epoch === 0) {
      // After 2^32 picks the stamps wrap; clear them so an old stamp cannot read as current.
      this.marks.fill(0);
      epoch = 1;
    }
    this.epoch = epoch;
    let present = 0;
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      const view = list[i];
      const slot = ring.slotOf.get(view.address);
      if (slot === undefined) return false;
      if (this.marks[slot] === epoch) continue; // the same address listed twice counts once
      this.marks[slot] = epoch;
      this.views[slot] = view;
      present++;
      total += view.inFlight;
    }
    this.present = present;
    this.totalInFlight = total;
    return true;
  }

  private rebuild(list: readonly EndpointView[]): void {
    const addresses: string[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) addresses[i] = list[i].address;
    const ring = new HashRing(addresses, this.virtualNodes);
    this.ring = ring;
    this.marks = new Uint32Array(ring.addresses.length);
    this.views = new Array<EndpointView | undefined>(ring.addresses.length);
    this.epoch = 0;
    this.partialPicks = 0;
  }
}
