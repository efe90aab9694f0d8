import type { CallContext, Invoker, Middleware } from '../call';
import { ErrorReason, RpcError } from '../errors';
import { abortError } from './abortable-sleep';
import type { ResolvedBulkheadPolicy } from './bulkhead-policy';
import { ResilienceReason } from './reasons';

const MAX_TIMER_MS = 2_147_483_647;

/**
 * Caps how many calls run at once (resilience4j's and Polly's bulkhead). Up to `maxConcurrent`
 * run; up to `maxQueue` more wait, first come first served; the rest are refused at once. A
 * waiting call leaves the queue when its signal aborts or its deadline passes. One per target
 * service on the client, one per method on the server.
 */
export class Bulkhead {
  private active = 0;
  private readonly waiting: Waiter[] = [];
  // Bound once, so a call that gets a slot at once allocates no closure.
  private readonly releaseAfterSuccess: (value: unknown) => unknown;
  private readonly releaseAfterFailure: (err: unknown) => never;

  /**
   * @param policy from {@link resolveBulkheadPolicy}.
   * @param name shown in the refusal message (`'Orders'`, `'Orders.place'`).
   * @param now wall clock for `ctx.deadline` (epoch ms). Default `Date.now`.
   */
  constructor(
    private readonly policy: ResolvedBulkheadPolicy,
    readonly name: string,
    private readonly now: () => number = Date.now,
  ) {
    this.releaseAfterSuccess = (value) => {
      this.release();
      return value;
    };
    this.releaseAfterFailure = (err) => {
      this.release();
      throw err;
    };
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.active;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `next(ctx)` when a slot is free, waits for one when the queue has room, else rejects at
   * once with `RpcError('RESOURCE_EXHAUSTED', …, { reason: 'BULKHEAD_FULL' })`, `notProcessed: true`
   * and `stoppedBy: 'bulkhead'`. A waiting call rejects with its signal's abort reason, or with
   * `DEADLINE_EXCEEDED` (`DEADLINE`) when its deadline passes first; either way `next` never runs.
   */
  run<C extends CallContext>(next: Invoker<C>, ctx: C): Promise<unknown> {
    if (this.active < this.policy.maxConcurrent) {
      this.active++;
      return this.start(next, ctx);
    }
    if (this.waiting.length >= this.policy.maxQueue) return Promise.reject(this.fullError());
    if (ctx.signal.aborted) return Promise.reject(abortError(ctx.signal));
    return new Promise((resolve, reject) => {
      // A closure for a waiting call only (the slow path): the queue holds calls of any context type.
      const w = new Waiter(this.waiting, () => this.start(next, ctx), ctx, resolve, reject);
      this.waiting.push(w);
      ctx.signal.addEventListener('abort', w, { once: true });
      if (ctx.deadline !== undefined) w.timer = setTimeout(expireWaiter, clampTimerMs(ctx.deadline - this.now()), w);
    });
  }

  /** This bulkhead as a Middleware: compose it once per method; every call goes through {@link run}. */
  middleware<C extends CallContext = CallContext>(): Middleware<C> {
    return (next) => (ctx) => this.run(next, ctx);
  }

  private start<C extends CallContext>(next: Invoker<C>, ctx: C): Promise<unknown> {
    let p: Promise<unknown>;
    try {
      p = next(ctx);
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then(this.releaseAfterSuccess, this.releaseAfterFailure);
  }

  // Hands the slot straight to the oldest waiter, so a newcomer cannot take it first.
  private release(): void {
    const w = this.waiting.shift();
    if (w === undefined) {
      this.active--;
      return;
    }
    w.detach();
    w.resolve(w.proceed());
  }

  private fullError(): RpcError {
    const err = new RpcError(
      'RESOURCE_EXHAUSTED',
      `bulkhead "${this.name}" is full: ${this.policy.maxConcurrent} calls in flight and ${this.policy.maxQueue} waiting`,
      { reason: ResilienceReason.BULKHEAD_FULL },
      { notProcessed: true },
    );
    err.stoppedBy = 'bulkhead';
    return err;
  }
}

/** A call waiting for a slot. It is its own abort listener (`handleEvent`). */
class Waiter {
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly queue: Waiter[],
    readonly proceed: () => Promise<unknown>,
    readonly ctx: CallContext,
    readonly resolve: (value: Promise<unknown>) => void,
    private readonly reject: (err: RpcError) => void,
  ) {}

  /** The call's signal aborted while it waited. */
  handleEvent(): void {
    this.giveUp(abortError(this.ctx.signal));
  }

  /** Leaves the queue and rejects, unless it already left (got a slot, or gave up before). */
  giveUp(err: RpcError): void {
    const i = this.queue.indexOf(this);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.detach();
    this.reject(err);
  }

  /** Stops listening for the abort and the deadline. */
  detach(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.ctx.signal.removeEventListener('abort', this);
  }
}

// setTimeout fires at once for delays past 2^31 - 1 ms (about 24.8 days); clamp rather than expire early.
function clampTimerMs(ms: number): number {
  return ms <= 0 ? 0 : ms < MAX_TIMER_MS ? ms : MAX_TIMER_MS;
}

function expireWaiter(w: Waiter): void {
  w.giveUp(new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded while waiting for a bulkhead slot', { reason: ErrorReason.DEADLINE }, { notProcessed: true }));
}

/** A Middleware that runs every call through `bulkhead` (see {@link Bulkhead.run}). */
export function bulkheadMiddleware<C extends CallContext = CallContext>(bulkhead: Bulkhead): Middleware<C> {
  return bulkhead.middleware();
}
