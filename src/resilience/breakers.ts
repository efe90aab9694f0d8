import CircuitBreaker from 'opossum';
import type { CallContext, Invoker } from '../call';
import { ErrorReason, RpcError } from '../errors';
import type { ResolvedBreakerPolicy } from './breaker-policy';
import { countsAgainstEndpoint } from './failure-kind';
import { type WindowCounter, windowCounterOf } from './opossum-window';

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
function runAction(action: (arg: never) => Promise<unknown>, arg: never): Promise<unknown> {
  return action(arg);
}

function ignore(): void {}

function clientClosed(): RpcError {
  return new RpcError('UNAVAILABLE', 'client closed', { reason: ErrorReason.CLIENT_CLOSED }, { notProcessed: true });
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

function isOpossumError(err: unknown): err is Error & { code?: string } {
  return err instanceof Error && CircuitBreaker.isOurError(err);
}

// `done` without a failure: the attempt succeeded.
const SUCCEEDED: unique symbol = Symbol('succeeded');

/** A closed breaker's admission: send, then report with `done`. Shared; it carries nothing. */
export const ADMITTED: unique symbol = Symbol('admitted');

/** What {@link EndpointBreaker.admit} let through: the closed path, or opossum's half-open probe. */
export type Admission = typeof ADMITTED | BreakerProbe;

/**
 * A half-open breaker's probe, let through by opossum's `fire()`: the action opossum runs is
 * this probe's promise, settled by {@link EndpointBreaker.done} with the attempt's outcome.
 */
export class BreakerProbe {
  started = false;
  /** opossum's promise of the probe, settled once it has counted the outcome. */
  counted: Promise<unknown> = Promise.resolve();
  resolve!: (value: unknown) => void;
  reject!: (err: unknown) => void;
}

// The action opossum runs for a probe: marks it started and waits for its outcome.
function runProbe(probe: BreakerProbe): Promise<unknown> {
  probe.started = true;
  return new Promise((resolve, reject) => {
    probe.resolve = resolve;
    probe.reject = reject;
  });
}

/**
 * The circuit breaker of one (endpoint, service), made by {@link Breakers.get}. Pass each call
 * attempt through {@link EndpointBreaker.admit} and {@link EndpointBreaker.done} (the client's one
 * path: a closed breaker costs no promise), or wrap a call with {@link EndpointBreaker.fire}.
 */
export class EndpointBreaker {
  private readonly breaker: CircuitBreaker<[(arg: never) => Promise<unknown>, unknown], unknown>;
  // Bound once per breaker so fire() allocates no closure per call.
  private readonly rethrow: (err: unknown) => never;
  private readonly counter: WindowCounter | null;

  constructor(
    readonly endpoint: string,
    readonly service: string,
    policy: ResolvedBreakerPolicy,
    onStateChange: ((e: BreakerStateChange) => void) | undefined,
  ) {
    this.breaker = new CircuitBreaker(runAction, {
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
   * Step one of the two-step use, per attempt: may an attempt go to this endpoint now? Closed
   * (the common case): {@link ADMITTED}, with no promise or closure made. Half-open: opossum's
   * own `fire()` decides whether this attempt is the probe, and a {@link BreakerProbe} carries
   * its outcome back to opossum. Open, half-open with its probe out, or shut down: the refusal,
   * an `RpcError('UNAVAILABLE', …, { reason: 'BREAKER_OPEN' | 'CLIENT_CLOSED' })` with
   * `notProcessed: true`, and nothing may be sent. Step two is {@link done}.
   */
  admit(): Admission | RpcError {
    if (this.breaker.closed && !this.breaker.isShutdown) return ADMITTED;
    const probe = new BreakerProbe();
    // The breaker's action is runAction(action, arg): here it runs runProbe(probe).
    const fired = this.breaker.fire(runProbe, probe);
    if (probe.started) {
      probe.counted = fired;
      return probe;
    }
    // Refused: opossum calls the action synchronously when it admits, so it has decided already.
    fired.catch(ignore);
    return this.breaker.isShutdown ? clientClosed() : this.refusal(undefined);
  }

  /**
   * Step two: the admitted attempt ended. Without `failure` it succeeded (counted now). With one,
   * returns a promise that rejects with `failure` itself once opossum has counted it: a failure
   * that counts against the endpoint may open the breaker, a business error counts as a success,
   * so whoever retries sees the new state.
   */
  done(admission: Admission): void;
  done(admission: Admission, failure: unknown): Promise<never>;
  done(admission: Admission, failure: unknown = SUCCEEDED): Promise<never> | void {
    if (admission === ADMITTED) {
      if (failure !== SUCCEEDED) return this.recordFailure(failure);
      this.recordSuccess();
      return;
    }
    if (failure === SUCCEEDED) {
      admission.resolve(undefined);
      return;
    }
    admission.reject(failure);
    const rejectWithFailure = (): Promise<never> => Promise.reject(failure);
    return admission.counted.then(rejectWithFailure, rejectWithFailure);
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
   * An attempt admitted while closed succeeded: counted as opossum counts a success. While closed,
   * its 'fire' and 'success' events do nothing but bump the window's counters (the other 'success'
   * listener acts only when half-open), so the counters are bumped directly (opossum-window.ts):
   * two emits with their listener-array copies cost about 110 ns a call, the two increments about 40.
   */
  private recordSuccess(): void {
    const counter = this.counter;
    if (counter !== null) {
      counter.increment('fires');
      counter.increment('successes', 0);
      return;
    }
    this.breaker.emit('fire', NO_ARGS);
    this.breaker.emit('success', undefined, 0);
  }

  /** An attempt admitted while closed failed with `err`: see {@link done}. */
  private recordFailure(err: unknown): Promise<never> {
    if (isNotAFailure(err)) {
      this.recordSuccess();
      return Promise.reject(err);
    }
    // Opened meanwhile (by other calls): replaying would only be refused; keep the real error.
    if (!this.breaker.closed) return Promise.reject(err);
    // The breaker's action is runAction(action, arg): with `rejectWith` as the action and the
    // error as its argument, fire() rejects with this very error, counted as a failure.
    return this.breaker.fire(rejectWith, err) as Promise<never>;
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

  private refusal(err: (Error & { code?: string }) | undefined): RpcError {
    if (err?.code === 'ESHUTDOWN') return clientClosed();
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
