import type { ResolvedAdmission } from './admission-options';
import { Backstop } from './backstop';
import { CallDeque } from './call-deque';
import { GradientLimit } from './gradient-limit';
import type { MethodStats } from './method-stats';

/*
 * The order of admission, and why (one place that writes it down; docs/overload.md has more):
 * 1. At frame arrival, before the arguments are decoded (protocol v2 puts the deadline and the
 *    method ahead of them): a call whose deadline has passed, or is closer than the method's recent
 *    service time, is refused at once. Nothing after this can make it useful.
 * 2. Run now, if nothing is queued, the async limit has room and the event loop has not spent its
 *    slice on handlers since it last read sockets. At normal load every call takes this path, and
 *    it costs a few comparisons and no allocation.
 * 3. Otherwise wait in one queue for the whole server, which Rivet can see and reorder. A call that
 *    could not start within the queue bound (or its own deadline) at the queue's recent pace is
 *    refused now, not later: an early refusal leaves its caller time to go elsewhere.
 * 4. Queued calls start in the check phase (setImmediate), a slice of handler time at a time, so
 *    the event loop reads sockets and stamps arrivals between slices instead of letting requests
 *    pile up unseen in socket buffers. FIFO while the queue drains; once a standing queue forms
 *    (CoDel: every call that started over an interval had waited longer than the target), LIFO,
 *    and the oldest are refused past the tighter target (Facebook's adaptive LIFO): the newest
 *    calls are the ones whose callers are still waiting.
 * 5. Before a queued call starts, the deadline check runs again: time spent waiting counts.
 */

/** What admit() decides for an arriving call. Numbers, so the hot path returns no object. */
export const Verdict = {
  /** Start it now; the caller must report `ran` and `finish`. */
  RUN: 0,
  /** Queue it with `enqueue`. */
  QUEUE: 1,
  /** Refuse it: its deadline passed or cannot be met. */
  SHED_DEADLINE: 2,
  /** Refuse it: the queue cannot start it in time. */
  SHED_QUEUE_FULL: 3,
} as const;

/** What a finished call's duration teaches admission (see Admission.finish). */
export const Sample = { NONE: 0, FULL: 1, LIMIT_ONLY: 2 } as const;

/**
 * Why admission refused a call: the `rivet.shed.reason` of the `rpc.server.shed` metric.
 * - `DEADLINE`: its deadline had passed, or was closer than the method's recent service time, at
 *   arrival or when it would have started: answered DEADLINE_EXCEEDED (not processed). No retry
 *   could meet it either.
 * - `QUEUE_TIMEOUT`: it waited in the queue longer than the queue bound (maxQueueMs, or the CoDel
 *   target while a standing queue is served LIFO): answered RESOURCE_EXHAUSTED, OVERLOADED; another
 *   server may take it.
 * - `QUEUE_FULL`: the queue holds its maximum: answered RESOURCE_EXHAUSTED, OVERLOADED.
 */
export type ShedReason = 'DEADLINE' | 'QUEUE_FULL' | 'QUEUE_TIMEOUT';

/** A call waiting in the admission queue (the server's in-flight record implements it). */
export interface QueuedCall {
  readonly stats: MethodStats;
  /** performance.now() when its first byte was read. */
  readonly arrivedAtMs: number;
  /** performance.now() by which it must have answered. */
  readonly deadlineAtMs: number;
  readonly peerAddress: string;
  /** True once nothing more is owed (cancelled, connection closed): it is dropped when reached. */
  readonly done: boolean;
  /** Runs it now; admission has already counted it as running. */
  start(nowMs: number): void;
  /** Answers the refusal; the call is over. */
  shed(reason: ShedReason, retryAfterMs: number): void;
}

/** A refused call, for the access log and metrics. */
export interface ShedEvent {
  service: string;
  method: string;
  reason: ShedReason;
  /** How long it had waited since its bytes arrived, in ms. */
  waitedMs: number;
  peer: string;
}

/** A server's load, as `app.load()` reports it. */
export interface ServerLoad {
  /** Handler calls running now (async calls in flight). */
  concurrency: number;
  /** The concurrency limit of async handlers now; Infinity when there is none. */
  limit: number;
  /** Calls waiting in the admission queue. */
  queued: number;
  /** Calls refused by admission over the last full second. */
  shedPerSecond: number;
  /** Event-loop utilization, 0 to 1, over the last backstop window. */
  eventLoopUtilization: number;
}

/** Clock and scheduler, injectable so unit tests run on a fake clock. */
export interface AdmissionDeps {
  now(): number;
  /** Runs `fn` after pending I/O has been read (setImmediate). */
  defer(fn: () => void): void;
  /** A periodic sweep of the queue while it is not empty; `false` in unit tests that sweep by hand. */
  sweepEveryMs: number | false;
  /** Read event-loop utilization and delay (perf_hooks). */
  backstop: boolean;
}

// Handler time the event loop may spend between reads of its sockets, in ms: two or three 2 ms
// handlers, or thousands of tiny ones, per slice. 2 ms starved the server of a process that also
// runs a busy client (its poll phases are long), and an arrival stamp is late by a slice at most.
const SLICE_MS = 5;
// A gap this long between handler runs means the event loop went back to I/O: a fresh slice.
const SLICE_GAP_MS = 1;
// CoDel's interval: a standing queue is one whose shortest wait stayed above target this long.
const CODEL_INTERVAL_MS = 100;
const MIN_TARGET_MS = 5;
// The derived bound is a quarter of the callers' typical budget within these limits. Half of it
// (at least 100 ms) held calls for a whole 100 ms deadline at the onset of every overload, before
// the queue counted as standing: measured in W9 at 4x, p99 of successes 95-99 ms and up to 14% of
// handler time wasted on calls that finished late; a quarter: about 50 ms and none (docs/overload.md).
const MIN_DERIVED_QUEUE_MS = 10;
const MAX_DERIVED_QUEUE_MS = 10_000;
// A bound on memory whatever the rates: calls past it are refused at once.
const MAX_QUEUED = 50_000;
const MIN_RETRY_AFTER_MS = 10;
const EWMA_WEIGHT = 0.1;
// The pace of the queue (queued calls started per ms) is measured over windows this long, with at
// least this many starts; the FIFO wait of an arriving call is predicted from it.
const RATE_WINDOW_MS = 50;
const RATE_MIN_STARTS = 8;
const DEFAULT_SWEEP_MS = 10;
// Below this event-loop utilization, rising latency is the handlers' own waiting (a slow database),
// not this process running out of CPU: the limit may not shrink for it (see GradientLimit.cpuBusy).
const CPU_BUSY_UTILIZATION = 0.8;
// The limit's cut per window in which the event loop itself was saturated: from the initial 200
// to the floor in well under a second.
const BACKSTOP_BACKOFF = 0.75;

/**
 * Overload protection of one server: deadline-aware admission, a queue with CoDel and adaptive
 * LIFO, an adaptive (Gradient2) limit on async handlers, and the event-loop backstop.
 * The server's connections call `admit` per arriving request and `ran`/`finish` per call run.
 */
export class Admission {
  /** Calls running now (counted from start to finish). */
  running = 0;
  /** The async concurrency limit now. */
  limit: number;
  /** EWMA of the wait of calls that started, in ms (direct starts count their few microseconds). */
  queueDelayMs = 0;
  /** Calls refused since the server started. */
  shedTotal = 0;
  /** Told of every refusal (the app wires the access log and metrics here); null costs nothing. */
  onShed: ((e: ShedEvent) => void) | null = null;
  readonly loadReports: boolean;
  private readonly limiter: GradientLimit | null;
  private readonly queue = new CallDeque<QueuedCall>();
  private readonly backstop: Backstop;
  private readonly deps: AdmissionDeps;
  private readonly deadlineChecks: boolean;
  private readonly discipline: boolean;
  private readonly fixedMaxQueueMs: number | undefined;
  private budgetMs = 0;
  private sliceSpentMs = 0;
  private lastRunEndMs = -Infinity;
  private drainScheduled = false;
  private draining = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepArmed = false;
  private standing = false;
  /** When the queue last emptied (performance.now()); a standing queue ends once it stays empty. */
  private emptiedAtMs = 0;
  private intervalStartMs = 0;
  private intervalMinWaitMs = Infinity;
  /** Queued calls started per ms, measured over the last rate window; 0 until measured. */
  private startRatePerMs = 0;
  private rateWindowStartMs = 0;
  private rateWindowStarts = 0;
  private shedThisSecond = 0;
  private shedLastSecond = 0;
  private secondStartMs = 0;
  private readonly drainFn = (): void => this.drain();
  private readonly sweepFn = (): void => this.sweepTick();

  constructor(opts: ResolvedAdmission, deps: Partial<AdmissionDeps> = {}) {
    this.deps = { now: () => performance.now(), defer: (fn) => setImmediate(fn), sweepEveryMs: DEFAULT_SWEEP_MS, backstop: true, ...deps };
    const p = opts.parts;
    this.deadlineChecks = p.deadline;
    this.discipline = p.queueDiscipline;
    this.loadReports = p.loadReports;
    this.fixedMaxQueueMs = opts.maxQueueMs;
    this.limiter = opts.fixedLimit === undefined && p.adaptiveLimit ? new GradientLimit() : null;
    this.limit = opts.fixedLimit ?? this.limiter?.limit ?? Infinity;
    this.backstop = new Backstop(p.backstop && this.deps.backstop);
  }

  /** Calls admitted and not finished: running plus queued (the load report's `inFlight`). */
  get inFlight(): number {
    return this.running + this.queue.length;
  }

  /** Calls waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /** True while a standing queue is served LIFO. */
  get isStanding(): boolean {
    return this.standing;
  }

  /** The longest a call may wait now, in ms (maxQueueMs, or derived from callers' budgets). */
  get maxQueueMs(): number {
    if (this.fixedMaxQueueMs !== undefined) return this.fixedMaxQueueMs;
    return Math.min(MAX_DERIVED_QUEUE_MS, Math.max(MIN_DERIVED_QUEUE_MS, this.budgetMs / 4));
  }

  /** The CoDel target: the wait a standing queue is held to, in ms. */
  get targetMs(): number {
    return Math.min(this.maxQueueMs / 2, Math.max(MIN_TARGET_MS, this.budgetMs / 4));
  }

  /**
   * Decides for an arriving call (see the order at the top of this file). `deadlineAtMs` and
   * `nowMs` are performance.now() times; `timeoutMs` is the budget the caller sent. On RUN the
   * call counts as running at once.
   */
  admit(stats: MethodStats, deadlineAtMs: number, timeoutMs: number, nowMs: number): number {
    this.budgetMs = this.budgetMs === 0 ? timeoutMs : this.budgetMs + (timeoutMs - this.budgetMs) * EWMA_WEIGHT;
    const remainingMs = deadlineAtMs - nowMs;
    if (this.deadlineChecks && (remainingMs <= 0 || remainingMs < stats.serviceMs)) return Verdict.SHED_DEADLINE;
    if (this.backstop.sample(nowMs)) this.onBackstopTrip();
    if (this.limiter !== null) this.limiter.cpuBusy = this.backstop.utilization >= CPU_BUSY_UTILIZATION;
    if (this.queue.length === 0 && this.running < this.limit && !this.backstop.tripped) {
      if (nowMs - this.lastRunEndMs > SLICE_GAP_MS) this.sliceSpentMs = 0;
      if (this.sliceSpentMs < SLICE_MS) {
        this.running++;
        this.queueDelayMs -= this.queueDelayMs * EWMA_WEIGHT;
        return Verdict.RUN;
      }
    }
    if (this.queue.length >= MAX_QUEUED) return Verdict.SHED_QUEUE_FULL;
    // No forecast of this call's wait refuses it here: measured, a forecast from the queue's recent
    // pace refused calls at normal load and in bursts the queue then drained in time. The sweep
    // refuses it once it has really waited too long, and under a standing queue LIFO starts it first.
    return Verdict.QUEUE;
  }

  /** Queues a call admit() answered QUEUE for. */
  enqueue(call: QueuedCall, nowMs: number): void {
    if (this.queue.length === 0) {
      // A queue that emptied for a moment under overload (LIFO and the target clear it between
      // slices) is the same standing queue: only one that stayed empty for an interval is over.
      if (this.standing && nowMs - this.emptiedAtMs > CODEL_INTERVAL_MS) this.standing = false;
      if (!this.standing) {
        this.intervalStartMs = nowMs;
        this.intervalMinWaitMs = Infinity;
      }
    }
    this.queue.push(call);
    this.scheduleDrain();
    this.armSweep();
  }

  /** A started call's handler returned (a value or a promise) after running `syncMs` on the event loop. */
  ran(syncMs: number, nowMs: number): void {
    this.sliceSpentMs += syncMs;
    this.lastRunEndMs = nowMs;
  }

  /**
   * A started call finished. `sample` says what its duration teaches: `Sample.FULL` (it answered
   * or failed: its method's service time, and the adaptive limit when `async`), `Sample.LIMIT_ONLY`
   * (its deadline cut it short: a latency the limit must see, but not a service time, since the
   * handler did not finish), `Sample.NONE` (cancelled, or its connection closed).
   */
  finish(stats: MethodStats, startedAtMs: number, nowMs: number, async: boolean, sample: number): void {
    this.running--;
    if (sample !== Sample.NONE) {
      const ms = nowMs - startedAtMs;
      if (sample === Sample.FULL) stats.addSample(ms);
      if (async && this.limiter !== null && this.limiter.addSample(ms, this.running + 1, nowMs)) this.limit = this.limiter.limit;
    }
    if (this.queue.length > 0) this.scheduleDrain();
  }

  /** A call admitted RUN that did not start after all (its arguments did not decode). */
  abandon(): void {
    this.running--;
  }

  /** Counts a refusal and tells the listener. Called for refusals at arrival and from the queue. */
  recordShed(stats: MethodStats, reason: ShedReason, waitedMs: number, peer: string, nowMs: number): void {
    this.shedTotal++;
    this.rollSecond(nowMs);
    this.shedThisSecond++;
    this.onShed?.({ service: stats.service, method: stats.method, reason, waitedMs, peer });
  }

  /** How long a refused caller should stay away from this server, in ms. */
  retryAfterMs(): number {
    const drainMs = this.startRatePerMs > 0 ? this.queue.length / this.startRatePerMs : 0;
    return Math.round(Math.min(this.maxQueueMs, Math.max(MIN_RETRY_AFTER_MS, drainMs, this.queueDelayMs)));
  }

  /** The snapshot app.load() returns. */
  load(): ServerLoad {
    this.rollSecond(this.deps.now());
    return {
      concurrency: this.running,
      limit: this.limit,
      queued: this.queue.length,
      shedPerSecond: this.shedLastSecond,
      eventLoopUtilization: this.backstop.currentUtilization(),
    };
  }

  /** Stops the timers (server closed). Queued calls are the connections' to settle. */
  close(): void {
    this.backstop.close();
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** Runs queued calls for one slice; exposed for unit tests that drive `defer` by hand. */
  drain(): void {
    this.drainScheduled = false;
    this.draining = true;
    const deps = this.deps;
    let now = deps.now();
    const sliceEndMs = now + SLICE_MS;
    this.sliceSpentMs = 0;
    while (this.queue.length > 0 && this.running < this.limit && now < sliceEndMs) {
      this.sweep(now);
      const call = this.standing ? this.queue.pop() : this.queue.shift();
      if (call === undefined) break;
      if (call.done) continue;
      if (this.deadlineChecks && cannotMeet(call, now)) {
        this.shedCall(call, 'DEADLINE', now);
        continue;
      }
      this.noteStart(now - call.arrivedAtMs, now);
      this.running++;
      call.start(now);
      now = deps.now();
    }
    this.draining = false;
    if (this.queue.length === 0) {
      this.emptiedAtMs = now;
    } else {
      this.sweep(now);
      // Yield to I/O, then go on; a call that finishes schedules the drain when the limit is full.
      if (this.running < this.limit && this.queue.length > 0) this.scheduleDrain();
    }
  }

  /** Refuses, from the old end, queued calls that can no longer start in time. */
  sweep(nowMs: number): void {
    const bound = this.discipline ? (this.standing ? this.targetMs : this.maxQueueMs) : Infinity;
    for (;;) {
      const call = this.queue.peekFront();
      if (call === undefined) return;
      if (call.done) {
        this.queue.shift();
        continue;
      }
      if (this.deadlineChecks && cannotMeet(call, nowMs)) {
        this.queue.shift();
        this.shedCall(call, 'DEADLINE', nowMs);
        continue;
      }
      if (nowMs - call.arrivedAtMs > bound) {
        this.queue.shift();
        this.shedCall(call, 'QUEUE_TIMEOUT', nowMs);
        continue;
      }
      return;
    }
  }

  private shedCall(call: QueuedCall, reason: ShedReason, nowMs: number): void {
    call.shed(reason, this.retryAfterMs());
    this.recordShed(call.stats, reason, nowMs - call.arrivedAtMs, call.peerAddress, nowMs);
  }

  private noteStart(waitMs: number, nowMs: number): void {
    this.queueDelayMs += (waitMs - this.queueDelayMs) * EWMA_WEIGHT;
    this.rateWindowStarts++;
    const elapsed = nowMs - this.rateWindowStartMs;
    if (elapsed >= RATE_WINDOW_MS) {
      // A window with too few starts to measure (the queue was mostly empty) says nothing new.
      if (this.rateWindowStarts >= RATE_MIN_STARTS && elapsed < 4 * RATE_WINDOW_MS) this.startRatePerMs = this.rateWindowStarts / elapsed;
      this.rateWindowStartMs = nowMs;
      this.rateWindowStarts = 0;
    }
    if (waitMs < this.intervalMinWaitMs) this.intervalMinWaitMs = waitMs;
    if (nowMs - this.intervalStartMs >= CODEL_INTERVAL_MS) {
      if (this.discipline && !this.standing && this.intervalMinWaitMs > this.targetMs) this.standing = true;
      this.intervalStartMs = nowMs;
      this.intervalMinWaitMs = Infinity;
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.draining) return;
    this.drainScheduled = true;
    this.deps.defer(this.drainFn);
  }

  private armSweep(): void {
    const every = this.deps.sweepEveryMs;
    if (every === false || this.sweepArmed) return;
    this.sweepArmed = true;
    if (this.sweepTimer === null) {
      this.sweepTimer = setTimeout(this.sweepFn, every);
      this.sweepTimer.unref();
    } else {
      this.sweepTimer.refresh();
    }
  }

  // Answers expired calls when nothing else runs the queue (every slot held by slow async calls).
  private sweepTick(): void {
    this.sweepArmed = false;
    const now = this.deps.now();
    this.sweep(now);
    if (this.queue.length === 0) {
      this.emptiedAtMs = now;
      return;
    }
    if (this.running < this.limit) this.scheduleDrain();
    this.armSweep();
  }

  private onBackstopTrip(): void {
    if (this.limiter !== null) {
      this.limiter.backOff(BACKSTOP_BACKOFF);
      this.limit = this.limiter.limit;
    }
  }

  private rollSecond(nowMs: number): void {
    const elapsed = nowMs - this.secondStartMs;
    if (elapsed < 1_000) return;
    this.shedLastSecond = elapsed < 2_000 ? this.shedThisSecond : 0;
    this.shedThisSecond = 0;
    this.secondStartMs = nowMs;
  }
}

/** True when the call's deadline has passed or is closer than its method's recent service time. */
function cannotMeet(call: QueuedCall, nowMs: number): boolean {
  const leftMs = call.deadlineAtMs - nowMs;
  return leftMs <= 0 || leftMs < call.stats.serviceMs;
}
