import type { CallContext } from '../call';
import type { Instance } from '../discovery';
import type { Balancer } from './balancer';
import type { EndpointView } from './endpoint-view';
import { preferHealthy } from './prefer-healthy';

/** The running score of one address in the smooth weighted round-robin. */
interface WeightSlot {
  current: number;
}

/**
 * The weight an instance is given: `instance.weight` when it is a finite number >= 0, else the
 * documented default of 1 (a registry entry written by an older or foreign client may lack it).
 */
function weightOf(instance: Instance): number {
  const w = instance.weight;
  return typeof w === 'number' && w >= 0 && Number.isFinite(w) ? w : 1;
}

/**
 * Smooth weighted round-robin by `instance.weight`, nginx's algorithm: each pick adds every
 * endpoint's weight to its running score, takes the highest score, and takes the total weight
 * off the winner. Shares match the weights exactly over every cycle of `sum(weights)` picks,
 * and picks of one endpoint are spread out (weights 5, 1, 1 give a a b a c a a), not bunched.
 * A weight of 0 takes no traffic while another endpoint has weight; when all are 0 they share
 * equally. An endpoint that joins starts at score 0; when one leaves, the others restart from 0.
 * O(n) per pick, no allocation while the set of addresses stays the same.
 */
export class WeightedRoundRobinBalancer implements Balancer {
  /** Scores keyed by address, so they survive reordering and partial changes of the set. */
  private readonly slots = new Map<string, WeightSlot>();
  /** The addresses of the last list picked from, in its order, and their slots in that order. */
  private lastAddresses: string[] = [];
  private lastSlots: WeightSlot[] = [];

  pick(endpoints: readonly EndpointView[], _ctx: CallContext): EndpointView | undefined {
    const list = preferHealthy(endpoints);
    const n = list.length;
    if (n === 0) return undefined;
    if (n === 1) return list[0];
    if (!this.sameAddresses(list)) this.remap(list);
    const slots = this.lastSlots;

    let total = 0;
    for (let i = 0; i < n; i++) total += weightOf(list[i].instance);
    const allZero = total === 0;
    if (allZero) total = n;

    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      const slot = slots[i];
      slot.current += allZero ? 1 : weightOf(list[i].instance);
      // Strictly greater: on a tie the earlier endpoint wins, which gives nginx's exact sequence.
      if (slot.current > bestScore) {
        bestScore = slot.current;
        best = i;
      }
    }
    slots[best].current -= total;
    return list[best];
  }

  /** True when `list` holds the same addresses in the same order as the last pick (the usual case). */
  private sameAddresses(list: readonly EndpointView[]): boolean {
    const last = this.lastAddresses;
    if (last.length !== list.length) return false;
    for (let i = 0; i < list.length; i++) if (last[i] !== list[i].address) return false;
    return true;
  }

  /** Aligns the slots with a new list: keeps the scores of addresses still present, drops the rest. */
  private remap(list: readonly EndpointView[]): void {
    const addresses: string[] = new Array(list.length);
    const slots: WeightSlot[] = new Array(list.length);
    const present = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const address = list[i].address;
      let slot = this.slots.get(address);
      if (slot === undefined) {
        slot = { current: 0 };
        this.slots.set(address, slot);
      }
      addresses[i] = address;
      slots[i] = slot;
      present.add(address);
    }
    let left = false;
    for (const address of this.slots.keys()) {
      if (present.has(address)) continue;
      this.slots.delete(address);
      left = true;
    }
    // The scores always sum to 0 after a pick; dropping a non-zero score would skew every later
    // cycle, so when an address leaves the rest start over from 0, as nginx does on a reload.
    if (left) for (const slot of slots) slot.current = 0;
    this.lastAddresses = addresses;
    this.lastSlots = slots;
  }
}
