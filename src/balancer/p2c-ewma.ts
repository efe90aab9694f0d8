import type { CallContext } from '../call';
import type { Balancer } from './balancer';
import type { EndpointView } from './endpoint-view';
import { isHealthy, preferHealthy } from './prefer-healthy';
import { checkRandomSource, randomIndex, type RandomSource } from './random-source';

/**
 * The latency assumed when neither of the two candidates has a sample yet. Only the ratio of
 * two costs matters, so any positive value works; the in-flight counts then decide.
 */
const UNSAMPLED_EWMA_MS = 1;

/**
 * Power of two choices on peak-EWMA latency × (in flight + 1) × the server's reported load
 * (`loadFactor`), the default balancer (Finagle's
 * and Linkerd's "P2C + peak EWMA"). Each pick weighs two distinct endpoints and takes the
 * cheaper. The cost grows with both latency and queue depth, so a slow or overloaded endpoint is
 * shed within a few replies, while the random draw keeps every endpoint probed and keeps many
 * clients from herding onto the one that looks best. O(1) per pick, no allocation.
 *
 * The first pick of a turn of the event loop draws both candidates at random. A later pick in
 * the same turn keeps the previous winner as one candidate and draws only the other ("two
 * choices with memory", Mitzenmacher, Prabhakar and Shah, 2002). In-flight counts are exact
 * within a turn, since they are this client's own calls, so the burst still goes to the cheapest
 * endpoint, and the challenger still takes over once the winner's queue makes it dearer. What
 * changes is that a burst lands on fewer connections: calls made in one turn leave in one write
 * per connection, so a burst spread over every endpoint costs a write (and a wake-up of a
 * server) per endpoint, where a burst kept together costs one. On a tie the challenger wins, so
 * endpoints of equal cost still take turns. The next turn starts afresh.
 *
 * An endpoint with no latency sample yet (`ewmaMs` 0) is costed as if it were as fast as the
 * other candidate: optimistic enough that a new endpoint gets traffic and its first replies
 * set its real cost, but not so optimistic that it is flooded before its connection is up.
 */
export class P2cEwmaBalancer implements Balancer {
  private readonly random: RandomSource;
  /** The winner of this turn's last pick, and where it was in the list it was picked from. */
  private held: EndpointView | null = null;
  private heldAt = 0;
  private readonly forget = (): void => {
    this.held = null;
  };

  /**
   * @param random - uniform numbers in [0, 1); default `Math.random`. Throws RivetConfigError
   *   (RIVET_ERR_INVALID_OPTION) when it is not a function.
   */
  constructor(random: RandomSource = Math.random) {
    this.random = checkRandomSource('P2cEwmaBalancer', random);
  }

  pick(endpoints: readonly EndpointView[], ctx: CallContext): EndpointView | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    if (n === 1) return endpoints[0];
    const held = this.held;
    let i: number;
    // The held winner counts only where it still is in this list (a retry's list leaves out the
    // endpoints the call failed on, and a registry change rebuilds it).
    if (held !== null && endpoints[this.heldAt] === held) {
      i = this.heldAt;
    } else {
      i = randomIndex(this.random, n);
      // nextTick runs once every promise reaction of this turn is done: the same boundary at which
      // the outbox writes what the turn queued.
      if (held === null) process.nextTick(this.forget);
    }
    let j = randomIndex(this.random, n - 1);
    if (j >= i) j++;
    const a = endpoints[i];
    const b = endpoints[j];
    if (isHealthy(a) && isHealthy(b)) {
      if (challengerWins(a, b)) {
        this.held = b;
        this.heldAt = j;
        return b;
      }
      this.held = a;
      this.heldAt = i;
      return a;
    }
    // Only reached when a caller passes breaker-open or ejected endpoints (the client does not).
    const healthy = preferHealthy(endpoints);
    if (healthy === endpoints) return challengerWins(a, b) ? b : a;
    return healthy.length === 1 ? healthy[0] : this.pick(healthy, ctx);
  }
}

/**
 * True when `b` costs no more than `a`. Ties go to `b`: on a fresh draw both were drawn at random,
 * so ties split evenly; against a held winner, endpoints of equal cost take turns.
 */
function challengerWins(a: EndpointView, b: EndpointView): boolean {
  let ea = a.ewmaMs;
  let eb = b.ewmaMs;
  // `> 0` is false for NaN too, so a malformed sample is treated as "no sample".
  if (!(ea > 0)) ea = eb > 0 ? eb : UNSAMPLED_EWMA_MS;
  if (!(eb > 0)) eb = ea;
  // The servers' own load reports (when the endpoints carry them) scale the cost: load moves away
  // from a server whose queue is growing before it has to shed (docs/overload.md).
  return eb * (b.inFlight + 1) * (b.loadFactor ?? 1) <= ea * (a.inFlight + 1) * (a.loadFactor ?? 1);
}
