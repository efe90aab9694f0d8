import CircuitBreaker from 'opossum';
import type { CallContext, Invoker } from '../call';
import { ErrorReason, RpcError } from '../errors';
import type { ResolvedBreakerPolicy } from './breaker-policy';
import { countsAgainstEndpoint } from './failure-kind';

// The only file that imports opossum. Like go-kit's circuitbreaker/gobreaker.go, it is a thin
// adapter: opossum keeps the state machine and the rolling window; Rivet decides what counts as a
// failure (failure-kind.ts) and what an open breaker's error looks like.

/** The state of one breaker. `halfOpen`: one probe call may go through; its outcome decides. */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** A breaker changed state. */
export interface BreakerStateChange {
  /** `'host:port'`. */
  readonly endpoint: string;
  readonly service: string;
  readonly state: BreakerState;
}

/** One breaker's counts over its rolling window. */
export interface BreakerStats {
  /** Calls that ran and finished (business errors count as healthy calls). */
  readonly calls: number;
  /** Calls that failed in a way that counts against the endpoint. */
  readonly failures: number;
  /** Calls refused at once because the breaker was open. */
  readonly rejected: number;
}

/** Options of {@link Breakers}. */
export interface BreakersOptions {
  /** Called on every state change, in order (open → halfOpen → closed or open). Must not throw. */
  onStateChange?: (e: BreakerStateChange) => void;
}

// opossum passes fire()'s arguments to the action, so this one function serves every breaker and
// every call: no closure per breaker, none per call.
function runNext(next: Invoker, ctx: CallContext): Promise<unknown> {
  return next(ctx);
}

// opossum's errorFilter: true means "not a failure". Business errors and other healthy answers
// must not open a breaker; only failures that say the endpoint is unhealthy count.
function isNotAFailure(err: unknown): boolean {
  return !countsAgainstEndpoint(err);
}

const NO_ARGS: unknown[] = [];

// Used as `next` to replay a failure through opossum's fire(): rejects with what it is given.
function rejectWith(err: unknown): Promise<unknown> {
  return Promise.reject(err);
}

/** The part of opossum's rolling-window Status that `recordSuccess` writes to. */
interface WindowCounter {
  increment(property: 'fires' | 'successes', latencyMs?: number): void;
}

/**
 * opossum's Status, when it has the `increment` its own event listeners call. Not in its typings;
 * if a later opossum lacks it, successes are reported through events as before.
 */
function windowCounterOf(breaker: CircuitBreaker<[Invoker, CallContext], unknown>): WindowCounter | null {
  const status = (breaker as unknown as { status?: Partial<WindowCounter> }).status;
  return typeof status?.increment === 'function' ? (status as WindowCounter) : null;
}

function isOpossumError(err: unknown): err is Error & { code?: string } {
  return err instanceof Error && CircuitBreaker.isOurError(err);
}

/**
 * The circuit breaker of one (endpoint, service), made by {@link Breakers.get}. Pass each call
 * through {@link EndpointBreaker.fire}, or, while {@link EndpointBreaker.admitsDirectly}, send it
 * and report its outcome with `recordSuccess` / `recordFailure`.
 */
export class EndpointBreaker {
  private readonly breaker: CircuitBreaker<[Invoker, CallContext], unknown>;
  // Bound once per breaker so fire() allocates no closure per call.
  private readonly rethrow: (err: unknown) => never;
  private readonly counter: WindowCounter | null;

  constructor(
    readonly endpoint: string,
    readonly service: string,
    policy: ResolvedBreakerPolicy,
    onStateChange: ((e: BreakerStateChange) => void) | undefined,
  ) {
    this.breaker = new CircuitBreaker(runNext, {
      name: `${service}@${endpoint}`,
      // Rivet's deadline stage is the only clock; opossum's own timer would be a second one.
      timeout: false,
      errorThresholdPercentage: policy.errorThresholdPercentage,
      volumeThreshold: policy.volumeThreshold,
      rollingCountTimeout: policy.rollingCountTimeoutMs,
      rollingCountBuckets: 10,
      resetTimeout: policy.resetTimeoutMs,
      // With percentiles on, opossum concatenates and sorts every latency in the window on each
      // failure; we do not read them.
      rollingPercentilesEnabled: false,
      // Snapshots are a second interval timer per breaker, and nothing here listens to them.
      enableSnapshots: false,
      errorFilter: isNotAFailure,
      // No `capacity`: concurrency is the bulkhead's job.
    });
    if (onStateChange !== undefined) {
      this.breaker.on('open', () => onStateChange({ endpoint, service, state: 'open' }));
      this.breaker.on('halfOpen', () => onStateChange({ endpoint, service, state: 'halfOpen' }));
      this.breaker.on('close', () => onStateChange({ endpoint, service, state: 'closed' }));
    }
    this.rethrow = (err: unknown): never => {
      throw isOpossumError(err) ? this.refusal(err) : err;
    };
    this.counter = windowCounterOf(this.breaker);
  }

  /** The current state. */
  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  /**
   * Runs `next(ctx)` through the breaker. Closed: runs it and counts the outcome. Open (or
   * half-open with its probe already out): rejects at once, without calling `next`, with
   * `RpcError('UNAVAILABLE', …, { reason: 'BREAKER_OPEN', breaker: 'open' | 'halfOpen' })` and
   * `notProcessed: true`, so a retry may go to another endpoint. Any error of `next` rejects
   * unchanged (the same object).
   */
  fire(next: Invoker, ctx: CallContext): Promise<unknown> {
    return this.breaker.fire(next, ctx).catch(this.rethrow);
  }

  /**
   * True when a call may skip {@link fire}: the breaker is closed, the common case, where opossum's
   * fire() would cost several promises and closures per call, more than the rest of the client
   * pipeline. The caller then sends the call itself and reports how it ended with
   * {@link recordSuccess} or {@link recordFailure}, which count it in opossum's own window (as
   * gobreaker's two-step breaker does). Half-open, open and shut down go through fire(), so the
   * probe logic stays opossum's.
   */
  get admitsDirectly(): boolean {
    return this.breaker.closed && !this.breaker.isShutdown;
  }

  /**
   * A call admitted directly succeeded: counted as opossum counts a success. While closed, its
   * 'fire' and 'success' events do nothing but bump the window's counters (the other 'success'
   * listener acts only when half-open), so the counters are bumped directly: two emits with their
   * listener-array copies cost about 110 ns a call, the two increments about 40.
   */
  recordSuccess(): void {
    const counter = this.counter;
    if (counter !== null) {
      counter.increment('fires');
      counter.increment('successes', 0);
      return;
    }
    this.breaker.emit('fire', NO_ARGS);
    this.breaker.emit('success', undefined, 0);
  }

  /**
   * A call admitted directly failed with `err`. Returns a promise that rejects with `err` itself
   * once opossum has counted it (a failure that counts against the endpoint may open the
   * breaker; a business error counts as a success), so whoever retries sees the new state.
   */
  recordFailure(err: unknown): Promise<never> {
    if (isNotAFailure(err)) {
      this.recordSuccess();
      return Promise.reject(err);
    }
    // Opened meanwhile (by other calls): replaying would only be refused; keep the real error.
    if (!this.breaker.closed) return Promise.reject(err);
    // The breaker's action is runNext(next, ctx): with `rejectWith` as next and the error as
    // ctx, fire() rejects with this very error, counted as a failure.
    return this.breaker.fire(rejectWith, err as CallContext) as Promise<never>;
  }

  /** Counts over the rolling window. */
  stats(): BreakerStats {
    const s = this.breaker.stats;
    return { calls: s.successes + s.failures, failures: s.failures, rejected: s.rejects + s.semaphoreRejections };
  }

  /** Stops opossum's timers (rolling window, reset); later calls reject with `CLIENT_CLOSED`. */
  shutdown(): void {
    if (!this.breaker.isShutdown) this.breaker.shutdown();
  }

  private refusal(err: Error & { code?: string }): RpcError {
    if (err.code === 'ESHUTDOWN') {
      return new RpcError('UNAVAILABLE', 'client closed', { reason: ErrorReason.CLIENT_CLOSED }, { notProcessed: true });
    }
    // EOPENBREAKER (open, or half-open with the probe out) and ESEMLOCKED alike: not sent.
    // `breaker` says which: 'halfOpen' (its probe is out, or already closed it) is worth a retry,
    // 'open' is not until resetTimeoutMs has passed.
    const state = this.breaker.opened ? 'open' : 'halfOpen';
    return new RpcError(
      'UNAVAILABLE',
      `circuit breaker of ${this.endpoint} for "${this.service}" is ${state}`,
      { reason: ErrorReason.BREAKER_OPEN, breaker: state },
      { notProcessed: true, cause: err },
    );
  }
}

/**
 * The circuit breakers of a client, one per (endpoint, service), so one sick instance is shed
 * while its healthy peers keep serving. Made once per client; breakers are made on first use.
 */
export class Breakers {
  private readonly byKey = new Map<string, EndpointBreaker>();
  private closed = false;

  /** @param policy from {@link resolveBreakerPolicy}. */
  constructor(
    private readonly policy: ResolvedBreakerPolicy,
    private readonly options: BreakersOptions = {},
  ) {}

  /**
   * The breaker for `key` (use {@link breakerKey}), made on first use. Cache it beside the
   * endpoint rather than calling this per call. After {@link shutdown}, returns a breaker that
   * refuses every call with `CLIENT_CLOSED` and is not kept.
   */
  get(key: string, endpoint: string, service: string): EndpointBreaker {
    let b = this.byKey.get(key);
    if (b !== undefined) return b;
    b = new EndpointBreaker(endpoint, service, this.policy, this.options.onStateChange);
    if (this.closed) b.shutdown();
    else this.byKey.set(key, b);
    return b;
  }

  /** The breaker for `key` if one was made, without making one. */
  peek(key: string): EndpointBreaker | undefined {
    return this.byKey.get(key);
  }

  /** Counts of the breaker for `key`, or undefined when it has none. */
  stats(key: string): BreakerStats | undefined {
    return this.byKey.get(key)?.stats();
  }

  /** Drops the breaker of an endpoint that left (discovery removed it), stopping its timers. */
  delete(key: string): void {
    const b = this.byKey.get(key);
    if (b === undefined) return;
    this.byKey.delete(key);
    b.shutdown();
  }

  /** How many breakers exist. */
  get size(): number {
    return this.byKey.size;
  }

  /** Shuts every breaker down, clearing all of opossum's timers. Idempotent. */
  shutdown(): void {
    this.closed = true;
    for (const b of this.byKey.values()) b.shutdown();
    this.byKey.clear();
  }
}

/** The key of the breaker of `service` on `endpoint`. Build it once per endpoint, not per call. */
export function breakerKey(endpoint: string, service: string): string {
  return `${endpoint}|${service}`;
}
