import { type Admission, Sample, type QueuedCall, type ShedReason, Verdict } from '../admission';
import type { MethodStats } from '../admission';
import { ErrorReason, isRpcError, RpcError } from '../errors';
import { type Dispatcher, type InProcessCall, type InProcessTracker, inProcessBudgetMs, type MethodEntry } from './dispatcher';
import { shedAnswer } from './shed-answer';

/**
 * Runs an in-process call (the HTTP gateway's) through the server's admission, as a call from the
 * wire is: refused at once when its deadline cannot be met or the queue is full, queued while the
 * limit or the slice is used up, and counted in the adaptive limit and the method's service time.
 * Without this, JSON callers would run on an overloaded server while binary callers were shed, and
 * take the CPU admission was keeping for them.
 *
 * Refusals reject as a wire call's would (shed-answer.ts), flagged not processed; the gateway
 * answers 429 with Retry-After, or 504. An unknown or streaming method goes straight to the
 * dispatcher, which refuses it.
 */
export function callThroughAdmission(adm: Admission, dispatcher: Dispatcher, call: InProcessCall, track: InProcessTracker): Promise<unknown> {
  const entry = dispatcher.lookup(call.service, call.method);
  if (entry === undefined || entry.stream !== undefined) return dispatcher.callInProcess(call, track);
  const timeoutMs = inProcessBudgetMs(entry, call.timeoutMs);
  const now = performance.now();
  const verdict = adm.admit(entry.stats, now + timeoutMs, timeoutMs, now);
  if (verdict === Verdict.RUN) return runAdmitted(adm, dispatcher, entry, call, timeoutMs, track, now);
  if (verdict === Verdict.QUEUE) {
    return new Promise<unknown>((resolve, reject) => {
      adm.enqueue(new QueuedInProcess(adm, dispatcher, entry, call, track, now, now + timeoutMs, resolve, reject), now);
    });
  }
  const reason: ShedReason = verdict === Verdict.SHED_DEADLINE ? 'DEADLINE' : 'QUEUE_FULL';
  adm.recordShed(entry.stats, reason, 0, call.peer.address, now);
  return Promise.reject(shedError(reason, adm.retryAfterMs()));
}

function shedError(reason: ShedReason, retryAfterMs: number): RpcError {
  const a = shedAnswer(reason, retryAfterMs);
  return new RpcError(a.code, a.message, a.details, { notProcessed: true });
}

/** Runs a call admission counted as running (`timeoutMs` left of its budget), and reports its run and its end. */
function runAdmitted(
  adm: Admission,
  dispatcher: Dispatcher,
  entry: MethodEntry,
  call: InProcessCall,
  timeoutMs: number,
  track: InProcessTracker,
  startedAtMs: number,
): Promise<unknown> {
  const result = dispatcher.runInProcess(entry, call, timeoutMs, track);
  const ranAt = performance.now();
  adm.ran(ranAt - startedAtMs, ranAt);
  const stats: MethodStats = entry.stats;
  const end = (sample: number): void => adm.finish(stats, startedAtMs, performance.now(), true, sample);
  return result.then(
    (value) => {
      end(Sample.FULL);
      return value;
    },
    (err: unknown) => {
      // Cut short by its deadline: a latency the limit must see, not a service time. Cancelled: neither.
      const code = isRpcError(err) ? err.code : undefined;
      end(code === 'DEADLINE_EXCEEDED' ? Sample.LIMIT_ONLY : code === 'CANCELLED' ? Sample.NONE : Sample.FULL);
      throw err;
    },
  );
}

/**
 * An in-process call waiting in the admission queue. Its caller may go away meanwhile (its signal
 * aborts: CANCELLED), and a closing server counts it as a call in progress: the drain waits for it
 * and stops it (UNAVAILABLE) when the drain times out, so no caller is left waiting for good.
 */
class QueuedInProcess implements QueuedCall {
  done = false;
  readonly stats: MethodStats;
  readonly peerAddress: string;
  private readonly onAbort = (): void => {
    this.end(new RpcError('CANCELLED', 'cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER }, { notProcessed: true }));
  };
  private readonly stop = (err: RpcError): void => this.end(err);

  constructor(
    private readonly adm: Admission,
    private readonly dispatcher: Dispatcher,
    private readonly entry: MethodEntry,
    private readonly call: InProcessCall,
    private readonly track: InProcessTracker,
    readonly arrivedAtMs: number,
    readonly deadlineAtMs: number,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.stats = entry.stats;
    this.peerAddress = call.peer.address;
    track.add(this.stop);
    call.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  start(nowMs: number): void {
    this.done = true;
    this.call.signal?.removeEventListener('abort', this.onAbort);
    // With what is left of its budget once it starts.
    const left = Math.max(1, this.deadlineAtMs - nowMs);
    runAdmitted(this.adm, this.dispatcher, this.entry, this.call, left, this.track, nowMs).then(this.resolve, this.reject);
    // Only now: the running call is tracked already, so a drain never sees a moment with neither.
    this.track.delete(this.stop);
  }

  shed(reason: ShedReason, retryAfterMs: number): void {
    this.end(shedError(reason, retryAfterMs));
  }

  /** Ends it while queued: admission skips it from now on. */
  private end(err: RpcError): void {
    if (this.done) return;
    this.done = true;
    this.call.signal?.removeEventListener('abort', this.onAbort);
    this.track.delete(this.stop);
    this.reject(err);
  }
}
