import { satisfies, subset, valid, validRange } from 'semver';
import type { Balancer } from '../../balancer';
import { type Instance, type InstanceCache, instanceAddress } from '../../discovery';
import { ErrorReason, reasonOf } from '../../errors';
import { isRpcError, RpcError } from '../../errors/rpc-error';
import { type Breakers, countsAgainstEndpoint, type ResolvedThrottlePolicy, retryAfterMsOf } from '../../resilience';
import { turnNowMs } from '../../util/turn-clock';
import type { ChannelPool, ChannelTransport } from '../connection/channel-pool';
import type { ClientCall } from '../client-call';
import type { ReflectionFacts } from '../reflection-facts';
import { Endpoint } from './endpoint';
import type { EndpointHealthTable } from './endpoint-health';
import type { OutlierDetector } from './outlier-detector';

/**
 * True when an instance of `version` may serve a client asking for `range`. An exact version
 * (`'2.3.1'`) must satisfy the range. A service may also declare a range (`@Service('X', { version:
 * '2.x' })`, "some 2.x release"); it matches only when every version it allows satisfies the
 * client's range, so '2.x' serves '^2.0.0' but not '^2.3.0'. Anything else matches nothing.
 */
function versionMatches(version: string, range: string): boolean {
  if (valid(version) !== null) return satisfies(version, range);
  return validRange(version) !== null && subset(version, range);
}

/** What a router does beyond resolve, pick and send; each part is off when null or false. */
export interface RouterOptions {
  /** The client's endpoint health, shared with every other router of the service. */
  health: EndpointHealthTable;
  /** The transport this target connects with (its own TLS settings); the client's own when undefined. */
  via: ChannelTransport | undefined;
  /** The client's breakers of this target's breaker policy. */
  breakers: Breakers | null;
  outliers: OutlierDetector | null;
  /** Only instances whose version satisfies this semver range. */
  versionRange: string | null;
  /** Wait (within the deadline) for an endpoint instead of failing fast. */
  waitForReady: boolean;
  /** Client-side adaptive throttling per endpoint; false when off. */
  throttle?: ResolvedThrottlePolicy | false;
  /** Method facts learnt from an authenticated call, for endpoints whose handshake advertised none. */
  reflection?: ReflectionFacts;
}

// With waitForReady, how long to wait at most before looking again when nothing signals a change
// (an endpoint coming out of drain or ejection signals nothing).
const READY_RECHECK_MS = 100;

/**
 * The bottom of one proxy's pipeline for one target service: resolve (from the instance cache,
 * which follows the registry), pick (the balancer, among endpoints that can take a call now),
 * breaker (per endpoint), send (the endpoint's channel). One attempt per `route`.
 */
export class TargetRouter {
  private endpoints: Endpoint[] = [];
  private builtFrom: readonly Instance[] | undefined;

  constructor(
    private readonly service: string,
    private readonly cache: InstanceCache,
    private readonly pool: ChannelPool,
    private readonly balancer: Balancer,
    private readonly opts: RouterOptions,
  ) {}

  /** The current endpoints with their live stats. */
  views(): readonly Endpoint[] {
    this.refresh();
    return this.endpoints;
  }

  /** One attempt. Records a failed attempt in `ctx.attempts`. */
  route(ctx: ClientCall): Promise<unknown> {
    if (this.refresh() === undefined) return this.resolveThenRoute(ctx);
    return this.attempt(ctx);
  }

  /** The service's instances as cached (undefined before the first resolve), with the endpoints rebuilt when they changed. */
  private refresh(): readonly Instance[] | undefined {
    const instances = this.cache.peek(this.service);
    if (instances !== undefined && instances !== this.builtFrom) this.rebuild(instances);
    return instances;
  }

  private async resolveThenRoute(ctx: ClientCall): Promise<unknown> {
    try {
      this.rebuild(await this.cache.load(this.service));
    } catch (err) {
      const e = new RpcError('UNAVAILABLE', `cannot resolve "${this.service}": ${(err as Error).message}`, { reason: ErrorReason.NO_INSTANCES }, { notProcessed: true, cause: err });
      ctx.recordAttempt({ endpoint: '', code: e.code, ms: 0 });
      throw e;
    }
    return this.attempt(ctx);
  }

  /**
   * Builds this router's endpoints from the cached set. Health records, breakers and channels are
   * the client's (EndpointHealthTable, ChannelPool), so they outlive a rebuild; the table drops
   * those of instances that left the registry.
   */
  private rebuild(instances: readonly Instance[]): void {
    const previous = new Map(this.endpoints.map((e) => [e.address, e]));
    const { breakers, health: table, via } = this.opts;
    const range = this.opts.versionRange;
    const wanted = range === null ? instances : instances.filter((i) => i.version !== undefined && versionMatches(i.version, range));
    this.endpoints = wanted.map((instance) => {
      const address = instanceAddress(instance);
      const health = table.health(this.service, address);
      const channel = this.pool.channelFor(instance, via);
      const kept = previous.get(address);
      // An address that left and came back has a new record and channel: keep nothing of the old.
      if (kept !== undefined && kept.health === health && kept.channel === channel) {
        if (kept.instance === instance) return kept;
        return kept.withInstance(instance);
      }
      const circuit = breakers === null ? null : table.circuit(health, breakers);
      const throttle = this.opts.throttle ? health.throttle(this.opts.throttle.ratio) : null;
      return new Endpoint(instance, address, channel, circuit, health, throttle);
    });
    this.builtFrom = instances;
  }

  private attempt(ctx: ClientCall): Promise<unknown> {
    let picked: Endpoint | undefined;
    try {
      picked = this.pick(ctx);
    } catch (err) {
      // A balancer that throws fails the attempt, as it did when this was an async function.
      return Promise.reject(err);
    }
    return picked === undefined ? this.waitThenAttempt(ctx) : this.send(ctx, picked);
  }

  /** With nothing to pick now: fails fast, or (waitForReady) waits for an endpoint within the deadline. */
  private async waitThenAttempt(ctx: ClientCall): Promise<unknown> {
    let picked: Endpoint | undefined;
    while (picked === undefined) {
      if (!this.opts.waitForReady) throw this.noEndpoint(ctx);
      try {
        await this.waitForChange(ctx.signal);
      } catch (err) {
        throw this.gaveUpWaiting(ctx, err);
      }
      this.refresh();
      picked = this.pick(ctx);
    }
    return this.send(ctx, picked);
  }

  /**
   * The deadline passed while waiting for a ready endpoint: DEADLINE_EXCEEDED that carries each
   * endpoint's last connection error. It becomes the call's abort reason, which the deadline
   * stage reports, so the caller learns why nothing was ready. A cancel stays as it is.
   */
  private gaveUpWaiting(ctx: ClientCall, reason: unknown): unknown {
    if (!isRpcError(reason) || reason.code !== 'DEADLINE_EXCEEDED') return reason;
    const lastErrors = this.lastErrors();
    if (lastErrors.length === 0) return reason;
    const e = new RpcError(
      'DEADLINE_EXCEEDED',
      `deadline exceeded while waiting for a ready endpoint of "${this.service}"; last error: ${lastErrors[0].endpoint}: ${lastErrors[0].message}`,
      withTls({ reason: ErrorReason.DEADLINE, lastErrors }, this.endpoints),
      { notProcessed: true, cause: reason },
    );
    if (ctx.abortReason === reason) ctx.abortReason = e;
    return e;
  }

  /** Each endpoint's last connection error, as gRPC's "last error" reports it. */
  private lastErrors(): Array<{ endpoint: string; code: string; message: string }> {
    const out: Array<{ endpoint: string; code: string; message: string }> = [];
    for (const e of this.endpoints) {
      const last = e.channel.lastError;
      if (last !== null) out.push({ endpoint: e.address, code: last.code, message: last.message });
    }
    return out;
  }

  /**
   * Sends the attempt to `picked` and books its outcome: the one path of every attempt, breaker
   * or none. The breaker is asked first (`admit`), and told the outcome (`done`) before the
   * stages above see it, so a retry sees the state it left. Not an `async` function: one on
   * every call cost a promise, its await and their closures; the outcome is chained with one `.then`.
   */
  private send(ctx: ClientCall, picked: Endpoint): Promise<unknown> {
    ctx.peer = picked.peer;
    ctx.endpoint = picked;
    picked.health.calls++;
    // Only a failed attempt reports how long it took; a time early by what this turn has run so far
    // does for that, and spares every call an exact clock read.
    const started = turnNowMs();
    // The client throttles itself toward an endpoint that keeps shedding (SRE adaptive throttling):
    // the attempt fails here, not processed, and the retry stage sends it elsewhere.
    const throttle = picked.throttle;
    if (throttle !== null && throttle.shouldReject(started)) return this.failed(ctx, picked, throttled(picked.address), started);
    const circuit = picked.circuit;
    if (circuit === null) return this.sendOn(ctx, picked).then((value) => this.succeeded(ctx, picked, value), (err: unknown) => this.failed(ctx, picked, err, started));
    const admission = circuit.admit();
    if (admission instanceof RpcError) return this.failed(ctx, picked, admission, started);
    return this.sendOn(ctx, picked).then(
      (value) => {
        circuit.done(admission);
        return this.succeeded(ctx, picked, value);
      },
      // The failure reaches the stages above once the breaker has counted it (and maybe opened).
      (err: unknown) => circuit.done(admission, err).then(undefined, (counted: unknown) => this.failed(ctx, picked, counted, started)),
    );
  }

  private sendOn(ctx: ClientCall, picked: Endpoint): Promise<unknown> {
    try {
      return picked.channel.call(ctx);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private succeeded(ctx: ClientCall, picked: Endpoint, value: unknown): unknown {
    picked.throttle?.record(turnNowMs(), true);
    this.opts.outliers?.onSuccess(picked);
    ctx.learnFacts(picked.channel);
    // Still learning (a call by name to a server that advertised nothing): one comparison otherwise.
    if (!ctx.idempotentKnown || ctx.startedAtMs !== undefined) this.opts.reflection?.learn(ctx, picked.channel, true);
    return value;
  }

  /**
   * Books a failed attempt and rejects with its error; with waitForReady, an endpoint that could
   * not take the call (refused, reconnecting, draining) sends the call back to waiting instead.
   */
  private failed(ctx: ClientCall, picked: Endpoint, err: unknown, started: number): Promise<unknown> {
    const e = this.onFailure(ctx, picked, err, started);
    // A lookup of the method's facts in flight (reflection-facts.ts) decides whether this call may
    // be retried: wait for it (one round trip on a live connection) before the retry stage reads it.
    const learning = !ctx.idempotentKnown && this.opts.reflection !== undefined ? this.opts.reflection.learn(ctx, picked.channel, false) : undefined;
    if (learning !== undefined) {
      return learning.then(() => {
        this.opts.reflection?.learn(ctx, picked.channel, false);
        return this.afterFailure(ctx, e);
      });
    }
    return this.afterFailure(ctx, e);
  }

  private afterFailure(ctx: ClientCall, e: unknown): Promise<unknown> {
    if (!this.opts.waitForReady) return Promise.reject(e);
    // The deadline passed while this attempt was still connecting: report it with the last errors.
    if (ctx.abortReason !== undefined) return Promise.reject(this.gaveUpWaiting(ctx, ctx.abortReason));
    return waitsForReady(e) ? this.waitThenAttempt(ctx) : Promise.reject(e);
  }

  /** Books a failed attempt and returns the error it fails with. */
  private onFailure(ctx: ClientCall, picked: Endpoint, err: unknown, started: number): unknown {
    const code = isRpcError(err) ? err.code : 'UNKNOWN';
    if (reasonOf(err) === ErrorReason.OVERLOADED) {
      // The server shed it: stay away for retryAfterMs (the retry goes elsewhere at once).
      const now = turnNowMs();
      picked.health.shedUntil = now + Math.max(0, retryAfterMsOf(err) ?? 0);
      picked.throttle?.record(now, false);
    } else if (isRpcError(err) && !err.notProcessed) {
      // The server took it (whatever the handler said): an accept, for the throttle.
      picked.throttle?.record(turnNowMs(), true);
    }
    if (countsAgainstEndpoint(err)) {
      picked.health.failures++;
      this.opts.outliers?.onFailure(picked, this.endpoints);
    } else {
      this.opts.outliers?.onSuccess(picked);
    }
    ctx.recordAttempt({ endpoint: picked.address, code, ms: Math.round((performance.now() - started) * 1000) / 1000 });
    (ctx.failedEndpoints ??= []).push(picked.address);
    ctx.learnFacts(picked.channel);
    return err;
  }

  /**
   * Whether a call whose attempt was shed (or throttled) may be retried: some endpoint it has not
   * failed on can take it, and no more than half of the target's endpoints are shedding. Past
   * that, a retry only adds load to a saturated fleet (docs/overload.md).
   */
  canRetryShed(ctx: ClientCall): boolean {
    const now = turnNowMs();
    const failed = ctx.failedEndpoints;
    const endpoints = this.endpoints;
    let shedding = 0;
    let other = 0;
    for (const e of endpoints) {
      if (e.health.shedUntil > now) shedding++;
      else if (e.usable && !e.ejected && e.breaker !== 'open' && (failed === null || !failed.includes(e.address))) other++;
    }
    return other > 0 && shedding * 2 <= endpoints.length;
  }

  private pick(ctx: ClientCall): Endpoint | undefined {
    const candidates = this.candidates(this.endpoints, ctx.failedEndpoints);
    return candidates.length > 0 ? (this.balancer.pick(candidates, ctx) as Endpoint | undefined) : undefined;
  }

  /**
   * With waitForReady and nothing to pick: waits for the registry to change the set, for the
   * first endpoint in reconnect backoff to be due, or a short recheck, whichever comes first.
   * Rejects with the call's abort reason (its deadline) when that comes first.
   */
  private waitForChange(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    let waitMs = READY_RECHECK_MS;
    for (const e of this.endpoints) if (e.state === 'backoff') waitMs = Math.min(waitMs, e.channel.retryInMs + 1);
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = (): void => {
        clearTimeout(timer);
        unsubscribe();
        reject(signal.reason);
      };
      const timer = setTimeout(done, waitMs);
      const unsubscribe = this.cache.onChange(this.service, done);
      signal.addEventListener('abort', aborted, { once: true });
    });
  }

  private noEndpoint(ctx: ClientCall): RpcError {
    const endpoints = this.endpoints;
    let e: RpcError;
    if (endpoints.length === 0) {
      e = new RpcError('UNAVAILABLE', `no instance of "${this.service}" is known`, { reason: ErrorReason.NO_INSTANCES }, { notProcessed: true });
    } else if (endpoints.some((ep) => ep.usable) && endpoints.every((ep) => !ep.usable || ep.ejected || ep.breaker === 'open') && endpoints.some((ep) => ep.breaker === 'open')) {
      // Failing fast without touching the network is the point of an open breaker.
      e = new RpcError('UNAVAILABLE', `every endpoint of "${this.service}" has an open circuit breaker`, { reason: ErrorReason.BREAKER_OPEN, breaker: 'open' }, { notProcessed: true });
    } else {
      // Name the cause when there is one: "certificate expired" tells the user what to fix,
      // "reconnecting" does not.
      const lastErrors = this.lastErrors();
      const why = lastErrors.length === 0 ? `(${notReady(endpoints)})` : `(reconnecting; last error: ${lastErrors[0].endpoint}: ${lastErrors[0].message})`;
      e = new RpcError(
        'UNAVAILABLE',
        `no endpoint of "${this.service}" can take a call now ${why}`,
        withTls({ reason: ErrorReason.NO_READY_ENDPOINT, lastErrors }, endpoints),
        { notProcessed: true },
      );
    }
    ctx.recordAttempt({ endpoint: '', code: e.code, ms: 0 });
    return e;
  }

  /**
   * The endpoints that can take this attempt: usable, breaker not open, not ejected, and not
   * still connecting while another is ready (as grpc's pickers do: a peer that accepts TCP but
   * never answers must not hold calls for a whole connect timeout). Usually all of them, returned
   * as is (no copy). Endpoints this call already failed on are left out while others remain.
   */
  private candidates(endpoints: readonly Endpoint[], failed: string[] | null): readonly Endpoint[] {
    let all = true;
    let ready = false;
    let connecting = false;
    let shedding = false;
    const now = turnNowMs();
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[i];
      const state = e.state;
      const open = e.ejected || (e.circuit !== null && e.breaker === 'open');
      if (state === 'ready' && !open) ready = true;
      else if (state === 'connecting') connecting = true;
      if (e.health.shedUntil > now) shedding = true;
      if (!e.usable || open || (failed !== null && failed.includes(e.address))) all = false;
    }
    const skipConnecting = ready && connecting;
    if (all && !skipConnecting && !shedding) return endpoints;
    const healthy = endpoints.filter((e) => e.usable && !e.ejected && e.breaker !== 'open' && !(skipConnecting && e.state === 'connecting'));
    // An endpoint that shed a call is left alone for its retryAfterMs while others can take calls.
    const calm = shedding ? healthy.filter((e) => !(e.health.shedUntil > now)) : healthy;
    const pool = calm.length > 0 ? calm : healthy;
    if (failed === null) return pool;
    const fresh = pool.filter((e) => !failed.includes(e.address));
    if (fresh.length > 0) return fresh;
    const freshAny = healthy.filter((e) => !failed.includes(e.address));
    return freshAny.length > 0 ? freshAny : healthy;
  }
}

/** The local refusal of the adaptive throttle: not processed, so the retry stage sends it elsewhere. */
function throttled(address: string): RpcError {
  return new RpcError(
    'RESOURCE_EXHAUSTED',
    `throttled: ${address} has been shedding most calls, so this client sends it fewer`,
    { reason: ErrorReason.THROTTLED },
    { notProcessed: true },
  );
}

// Reasons of an attempt refused before it reached a handler because the endpoint could not take
// it (refused connect, TLS, reconnect backoff, drain): with waitForReady the call waits on.
const NOT_READY_REASONS: ReadonlySet<string> = new Set([
  ErrorReason.CONNECT_FAILED,
  ErrorReason.CONNECT_BACKOFF,
  ErrorReason.TLS,
  ErrorReason.HANDSHAKE_FAILED,
  ErrorReason.NO_READY_ENDPOINT,
  ErrorReason.SERVER_DRAINING,
  ErrorReason.BREAKER_OPEN,
]);

function waitsForReady(err: unknown): boolean {
  if (!isRpcError(err) || !err.notProcessed || err.code !== 'UNAVAILABLE') return false;
  const reason = reasonOf(err);
  return reason !== undefined && NOT_READY_REASONS.has(reason);
}

/** Why none of `endpoints` can take a call, by count: "2 ejected by outlier detection, 1 draining". */
function notReady(endpoints: readonly Endpoint[]): string {
  const counts = new Map<string, number>();
  for (const e of endpoints) {
    const why = e.ejected
      ? 'ejected by outlier detection'
      : e.circuit !== null && e.breaker === 'open'
        ? 'with an open circuit breaker'
        : e.state === 'backoff'
          ? 'reconnecting'
          : e.state;
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  return [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
}

/** `details` with the `tls` description of the first endpoint whose last failure was a TLS one, so TLS reasons survive. */
function withTls<D extends object>(details: D, endpoints: readonly Endpoint[]): D & { tls?: unknown } {
  for (const e of endpoints) {
    const tls = (e.channel.lastError?.details as { tls?: unknown } | undefined)?.tls;
    if (tls !== undefined) return { ...details, tls };
  }
  return details;
}
