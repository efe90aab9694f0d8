import { MethodStats } from '../admission';
import { type CallContext, composeMiddleware, type Invoker, type Middleware, type Peer, runWithContext } from '../call';
import { ErrorReason, isRpcError, RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import type { MethodDescriptor, ServiceDescriptor, StreamKind } from '../protocol';
import { ServerCall } from './server-call';
import type { ServiceDefinition } from './service-definition';
import { runStreamHandler } from './server-stream';
import type { RequestHead } from '../protocol/request-head';
import { WireMethodCache } from './wire-method-cache';

// The longest delay a Node.js timer honours (2^31 - 1 ms, about 24.8 days).
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A call that reaches the server without its wire: the HTTP gateway's. It runs the same composed
 * chain (interceptors, auth, limits, telemetry) as a call decoded from a frame.
 */
export interface InProcessCall {
  readonly service: string;
  readonly method: string;
  readonly args: unknown[];
  readonly metadata: Record<string, string>;
  /** The caller's budget in ms; the method's own cap wins when tighter. */
  readonly timeoutMs: number;
  /** Who called, as the chain's `ctx.peer` (the gateway marks it `protocol: 'http'`). */
  readonly peer: Peer;
  /** Aborts the call as CANCELLED (the HTTP client went away). */
  readonly signal?: AbortSignal;
}

/** A method ready to run: its chain composed once, at startup. */
export interface MethodEntry {
  readonly service: string;
  readonly method: string;
  /**
   * Runs the method's whole chain. A method with no stages runs its handler directly: a
   * synchronous handler's value comes back as it is, with no promise made for it, and what it
   * throws is thrown. With stages (or an async handler) it returns a promise.
   */
  readonly run: (ctx: CallContext) => unknown;
  readonly timeoutMs: number | undefined;
  readonly idempotent: boolean;
  /** The stream kind of a streaming method; undefined for a unary one. */
  readonly stream: StreamKind | undefined;
  /** What admission knows of the method (its recent service time); made once, here. */
  readonly stats: MethodStats;
}

/** Where a server keeps the stop functions of its running in-process calls. */
export interface InProcessTracker {
  add(stop: (err: RpcError) => void): void;
  delete(stop: (err: RpcError) => void): void;
}

/**
 * The routing table: service name → method name → pre-composed invoker. Maps, not objects, so
 * that `constructor`, `toString` and other inherited names can never be found.
 */
export class Dispatcher {
  private readonly table = new Map<string, Map<string, MethodEntry>>();
  /** What the handshake advertises. */
  readonly descriptors: Record<string, ServiceDescriptor> = {};
  private readonly wire = new WireMethodCache<MethodEntry>();

  constructor(services: readonly ServiceDefinition[], globalMiddlewares: readonly Middleware[]) {
    for (const service of services) {
      if (this.table.has(service.name)) {
        throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SERVICE, `two services are named '${service.name}'; give one another name with @Service('OtherName').`);
      }
      const methods = new Map<string, MethodEntry>();
      const descriptor: ServiceDescriptor = { methods: {} };
      if (service.version !== undefined) descriptor.version = service.version;
      for (const m of service.methods) {
        const kind = m.stream;
        // A stream's innermost stage runs the handler and pumps its messages: it settles when the
        // stream ends, so every stage around it sees the whole stream as one call.
        const direct = kind === undefined ? unaryInvoker(m.handler) : streamInvoker(m.handler);
        const stages = [...globalMiddlewares, ...(m.guards ?? []), ...service.middlewares, ...m.middlewares];
        // With no stages the handler is the whole chain: nothing to skip at call time.
        const run = stages.length === 0 ? direct : composeMiddleware(stages, toInvoker(direct));
        methods.set(m.name, { service: service.name, method: m.name, run, timeoutMs: m.timeoutMs, idempotent: m.idempotent, stream: kind, stats: new MethodStats(service.name, m.name) });
        const facts: MethodDescriptor = m.timeoutMs === undefined ? { idempotent: m.idempotent } : { idempotent: m.idempotent, timeoutMs: m.timeoutMs };
        if (kind !== undefined) facts.stream = kind;
        descriptor.methods[m.name] = facts;
      }
      this.table.set(service.name, methods);
      this.descriptors[service.name] = descriptor;
    }
  }

  /** The entry for a call, or undefined (UNIMPLEMENTED). */
  lookup(service: string, method: string): MethodEntry | undefined {
    return this.table.get(service)?.get(method);
  }

  /**
   * The entry for a v2 request, found by the bytes of the names in its head (decoded only the first
   * time a method is called, and for a name that is not served); undefined means UNIMPLEMENTED.
   */
  lookupHead(payload: Buffer, head: RequestHead): MethodEntry | undefined {
    const from = head.namesAt;
    const to = head.bodyOffset;
    const seen = this.wire.find(payload, from, to);
    if (seen !== undefined) return seen;
    const entry = this.lookup(head.serviceName(payload), head.methodName(payload));
    if (entry !== undefined) this.wire.remember(payload, from, to, entry);
    return entry;
  }

  /** The names of the services served. */
  get serviceNames(): string[] {
    return [...this.table.keys()];
  }

  /**
   * Runs one call through its method's chain inside the call's async context, as a call from the
   * wire runs: the deadline (the caller's, clamped to the method's cap) aborts the handler's
   * signal and rejects DEADLINE_EXCEEDED; `signal` aborts it and rejects CANCELLED. An unknown
   * service or method rejects UNIMPLEMENTED and runs nothing. Always settles; rejects with what
   * the chain threw (an RpcError, or anything a handler threw). `track` holds the call's stop
   * function while it runs, so a draining server can abort it.
   */
  callInProcess(call: InProcessCall, track?: InProcessTracker): Promise<unknown> {
    const entry = this.lookup(call.service, call.method);
    if (entry === undefined) {
      return Promise.reject(new RpcError('UNIMPLEMENTED', `${call.service}.${call.method} is not a remotely callable method`, { reason: ErrorReason.UNKNOWN_METHOD }));
    }
    if (entry.stream !== undefined) {
      return Promise.reject(new RpcError('UNIMPLEMENTED', `${call.service}.${call.method} is a ${entry.stream} stream; only unary methods can be called in process`, { reason: ErrorReason.STREAMS_UNSUPPORTED }));
    }
    return this.runInProcess(entry, call, inProcessBudgetMs(entry, call.timeoutMs), track);
  }

  /**
   * Runs a unary method's chain for an in-process call with `timeoutMs` left of its budget (what
   * callInProcess does once the method is found and its budget known; admission calls it for a
   * call it started from its queue).
   */
  runInProcess(entry: MethodEntry, call: InProcessCall, timeoutMs: number, track?: InProcessTracker): Promise<unknown> {
    const ctx = new ServerCall(entry.service, entry.method, call.args, call.metadata, Date.now() + timeoutMs, call.peer);
    return new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const signal = call.signal;
      const finish = (ok: boolean, value: unknown): void => {
        if (timer === undefined) return; // settled already
        clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener('abort', onAbort);
        track?.delete(stop);
        if (ok) resolve(value);
        else reject(value);
      };
      const stop = (err: RpcError): void => {
        ctx.abort(err);
        finish(false, err);
      };
      const onAbort = (): void => stop(new RpcError('CANCELLED', 'cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER }));
      timer = setTimeout(() => stop(new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded', { reason: ErrorReason.DEADLINE })), timeoutMs);
      track?.add(stop);
      if (signal !== undefined) {
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
      }
      let result: unknown;
      try {
        result = runWithContext(ctx, entry.run);
      } catch (err) {
        return finish(false, err);
      }
      if (isThenable(result)) {
        result.then(
          (value) => finish(true, value),
          (err: unknown) => finish(false, err),
        );
      } else {
        finish(true, result);
      }
    });
  }
}

/** An in-process call's budget in ms: the caller's (at least 1 ms, at most a timer's reach), capped by the method's. */
export function inProcessBudgetMs(entry: MethodEntry, callerTimeoutMs: number): number {
  const timeoutMs = Math.min(Math.max(1, callerTimeoutMs), MAX_TIMER_MS);
  return entry.timeoutMs !== undefined && entry.timeoutMs < timeoutMs ? entry.timeoutMs : timeoutMs;
}

/** The innermost stage of a unary method: the handler's value as it is, or a promise. */
function unaryInvoker(handler: (ctx: CallContext) => unknown): (ctx: CallContext) => unknown {
  return (ctx) => {
    let result: unknown;
    try {
      result = handler(ctx);
    } catch (err) {
      throw asProcessed(err);
    }
    return isThenable(result) ? Promise.resolve(result).then(undefined, rethrowAsProcessed) : result;
  };
}

/** The innermost stage of a streaming method: a promise that settles when the stream ends. */
function streamInvoker(handler: (ctx: CallContext) => unknown): (ctx: CallContext) => unknown {
  return (ctx) => runStreamHandler(ctx, handler).then(undefined, rethrowAsProcessed);
}

/**
 * The handler ran, so its call was processed, even when what it throws is a downstream call's
 * "not processed" refusal: the caller must not resend it elsewhere.
 */
function asProcessed(err: unknown): unknown {
  return isRpcError(err) && err.notProcessed ? new RpcError(err.code, err.message, err.details, { cause: err }) : err;
}

function rethrowAsProcessed(err: unknown): never {
  throw asProcessed(err);
}

/** True for a promise or anything `await` would treat as one. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** The innermost stage of a composed chain: always a promise, as stages expect. */
function toInvoker(run: (ctx: CallContext) => unknown): Invoker {
  return (ctx) => {
    try {
      const result = run(ctx);
      return isThenable(result) ? (result as Promise<unknown>) : Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
