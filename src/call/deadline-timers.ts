// Node runs a longer timer after 1 ms (with a warning); a deadline further out is reached in steps.
const MAX_TIMER_MS = 2_147_483_647;

/** What a {@link DeadlineTimers} list links: the fields live on the timed object itself. */
export interface Timed {
  /** When it expires, on the `performance.now()` clock. */
  expiresAt: number;
  timerPrev: Timed | null;
  timerNext: Timed | null;
  timerList: DeadlineList | null;
  /** Called once, when the deadline passes before {@link DeadlineTimers.disarm}. Must not throw. */
  expire(): void;
}

/** The entries armed with one duration: they expire in the order they were armed. */
export class DeadlineList {
  head: Timed | null = null;
  tail: Timed | null = null;
  timer: NodeJS.Timeout | null = null;
  /** True while its timer's callback runs: entries armed meanwhile wait for the timer it sets last. */
  firing = false;

  constructor(
    readonly ms: number,
    readonly owner: DeadlineTimers,
  ) {}
}

/**
 * Deadline timers for many calls at once, with no allocation per call: one Node timer per
 * distinct duration rather than one per call. The client arms one per call, the server one per
 * call that does not answer synchronously.
 *
 * Entries armed with the same duration expire in the order they were armed, so each duration
 * keeps a FIFO list linked through the entries themselves, and one timer armed for its head.
 * Disarming only unlinks, in O(1), and leaves the timer alone: it can never be late, since every
 * entry armed since expires after the one it was armed for. When it fires, it expires every entry
 * that is due and re-arms for the new head, or drops the list when it is empty. Node's own timers
 * are lists of this kind too, but each `setTimeout` allocates a Timeout and reads the loop clock,
 * and each `clearTimeout` of a list's last timer tears the list down; at a few hundred thousand
 * calls a second (and on a server, where the remaining time, so the duration, varies from call to
 * call) that showed in the profiles.
 *
 * The timers are unref'd: a deadline alone does not keep the process running, as a lingering
 * timer must not. While a call is in flight something else always does (its socket, a connect,
 * a retry's backoff timer).
 */
export class DeadlineTimers {
  private readonly lists = new Map<number, DeadlineList>();

  /** Arms `entry` to expire `ms` milliseconds from now (re-arms it if it was armed). */
  arm(entry: Timed, ms: number): void {
    if (entry.timerList !== null) this.disarm(entry);
    // Lists are per whole millisecond (Node's timers are no finer): a server arms what is left of a
    // deadline counted from when the request's bytes arrived, a fraction that differs on every call,
    // and keyed by the exact fraction each call got a list and a Node timer of its own (W4's servers
    // spent 4% of their CPU here, against 0.9% when durations were whole).
    if (ms !== Math.floor(ms)) ms = Math.ceil(ms);
    let list = this.lists.get(ms);
    if (list === undefined) {
      list = new DeadlineList(ms, this);
      this.lists.set(ms, list);
    }
    entry.expiresAt = performance.now() + ms;
    entry.timerList = list;
    entry.timerNext = null;
    entry.timerPrev = list.tail;
    if (list.tail === null) list.head = entry;
    else list.tail.timerNext = entry;
    list.tail = entry;
    if (list.timer === null && !list.firing) list.timer = startTimer(list, ms);
  }

  /** Disarms `entry`; nothing happens if it is not armed (or has expired). */
  disarm(entry: Timed): void {
    const list = entry.timerList;
    if (list !== null) unlink(list, entry);
  }

  /** Entries armed now, over all durations (for tests). */
  get armed(): number {
    let n = 0;
    for (const list of this.lists.values()) for (let e = list.head; e !== null; e = e.timerNext) n++;
    return n;
  }

  /** @internal an empty list whose timer has fired. */
  drop(list: DeadlineList): void {
    if (this.lists.get(list.ms) === list) this.lists.delete(list.ms);
  }
}

function unlink(list: DeadlineList, entry: Timed): void {
  const prev = entry.timerPrev;
  const next = entry.timerNext;
  if (prev === null) list.head = next;
  else prev.timerNext = next;
  if (next === null) list.tail = prev;
  else next.timerPrev = prev;
  entry.timerPrev = null;
  entry.timerNext = null;
  entry.timerList = null;
}

// Module-level, so arming a timer allocates no closure.
function fire(list: DeadlineList): void {
  list.timer = null;
  list.firing = true;
  const now = performance.now();
  // Node schedules from the loop's cached clock, so a timer can run a little before an entry's
  // exact time: what is not due yet waits for a new timer rather than expiring early.
  let head = list.head;
  while (head !== null && head.expiresAt <= now) {
    unlink(list, head);
    head.expire();
    head = list.head;
  }
  list.firing = false;
  if (head === null) list.owner.drop(list);
  else list.timer = startTimer(list, Math.max(1, Math.ceil(head.expiresAt - now)));
}

function startTimer(list: DeadlineList, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fire, Math.min(ms, MAX_TIMER_MS), list);
  timer.unref();
  return timer;
}
