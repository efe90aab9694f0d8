import type { CallContext } from '../call';
// Names read on every call come straight from their files (the hot-path files of the import
// rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { currentContext } from '../call/context-storage';
import { withAttempts } from '../call/deadline-stage';
import { type Invoker, invokeNext } from '../call/invoker';
import { ErrorReason } from '../errors/error-reason';
import { isRpcError, reasonOf, RpcError } from '../errors/rpc-error';
import { RivetConfigError } from '../errors';
import type { StreamKind } from '../protocol';
import { ClientStreamState, isAsyncIterable, type RemoteStream, RemoteStreamHandle, type ResolvedStreamWindow, resolveStreamWindow, type StreamWindow } from '../stream';
import { RETRY_ATTEMPT_METADATA_KEY, type RetryPolicy } from '../resilience';
import { ClientCall } from './client-call';
import type { KnownFacts, MethodFacts } from './method-facts';
import { resolveCallRetryPolicy } from './method-policy';

/** Per-call options of {@link Client.invoke}. */
export interface CallOptions {
  /** Deadline of this call; the tighter of this and the policy's wins. */
  timeoutMs?: number;
  /** Aborting it cancels the call: a cancel frame goes to the server, and the call rejects with CANCELLED. */
  signal?: AbortSignal;
  /** String key/values sent with the call. */
  metadata?: Record<string, string>;
  /**
   * This call's retries, merged key by key over the method's policy (the call is the most specific
   * layer; a `budget` here is ignored, the budget is the target's). `false` turns them off. A bad
   * one rejects the call with INVALID_ARGUMENT before any attempt.
   */
  retry?: false | RetryPolicy;
  /** Streams only: fail the stream (DEADLINE_EXCEEDED, `STREAM_IDLE`) when no message moves either way for this long. */
  idleTimeoutMs?: number;
  /** Streams only: the flow-control window this caller grants for the server's messages (default: the app's `streams.window`). */
  window?: StreamWindow;
}

/** Whether the client that owns a caller is closed; one object shared by all its callers. */
export interface ClientLife {
  closed: boolean;
}

/**
 * One method's ready chain and what a call of it starts from, built once per (target, method)
 * and cached: the entry of every call, from a proxy or `invoke`.
 */
export class MethodCaller {
  constructor(
    readonly service: string,
    readonly method: string,
    private readonly invoker: Invoker<ClientCall>,
    /** The chain's rejections already list their attempts (see ClientPipeline). */
    private readonly errorsListAttempts: boolean,
    /** Timeout and idempotency, as known or learnt (method-facts.ts). */
    private readonly facts: KnownFacts,
    /** The method's merged retry layers, for calls that set their own `retry`. */
    private readonly retryLayer: Partial<RetryPolicy> | false,
    private readonly life: ClientLife,
    /** The window this client grants on streams, unless a call sets its own. */
    private readonly streamWindow: ResolvedStreamWindow,
    /** For a call by name: the method's facts from a handshake already made, if any. */
    private readonly peekFacts: (() => MethodFacts | undefined) | undefined = undefined,
  ) {}

  /**
   * A server or bidi stream: returns at once, having sent the request. Never throws: what would
   * reject a call (bad options, a closed client) is thrown by the iteration instead.
   */
  stream(args: unknown[], opts: CallOptions | undefined): RemoteStream<unknown> {
    // By name with nothing learnt yet: an async iterable first argument reads as a bidi input;
    // the server's handshake corrects the guess before the request goes (Channel.openStream).
    if (!this.facts.complete && this.peekFacts !== undefined) {
      const learnt = this.peekFacts();
      if (learnt !== undefined) this.facts.learn(learnt);
    }
    const known = this.facts.stream;
    const kind: StreamKind = known === 'bidi' || known === 'server' ? known : known === undefined && isAsyncIterable(args[0]) ? 'bidi' : 'server';
    let call: ClientCall;
    try {
      if (known === 'client') throw beforeAnyAttempt(unimplementedAs(this.service, this.method, 'client', 'invoke()'));
      call = this.startStream(args, opts, kind);
    } catch (err) {
      return RemoteStreamHandle.failed(isRpcError(err) ? err : beforeAnyAttempt(asInvalidArgument(err)));
    }
    const state = call.streamState as ClientStreamState;
    this.runStream(call, opts);
    return new RemoteStreamHandle(state.receiver!, (reason) =>
      call.abort(new RpcError('CANCELLED', reason ?? 'stream cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER })),
    );
  }

  /** A client stream (`invoke` with an iterable first argument): resolves with the handler's reply. */
  private clientStream(args: unknown[], opts: CallOptions | undefined): Promise<unknown> {
    let call: ClientCall;
    try {
      call = this.startStream(args, opts, 'client');
    } catch (err) {
      return Promise.reject(isRpcError(err) ? err : beforeAnyAttempt(asInvalidArgument(err)));
    }
    return this.runStream(call, opts);
  }

  /** Runs a stream's chain; its outcome ends the stream's state (and so the caller's iteration). */
  private runStream(call: ClientCall, opts: CallOptions | undefined): Promise<unknown> {
    const state = call.streamState as ClientStreamState;
    const parentSignal = currentContext()?.signal;
    const facts = this.facts;
    const finish = (): void => {
      opts?.signal?.removeEventListener('abort', call);
      parentSignal?.removeEventListener('abort', call);
      if (!facts.complete && call.learnt !== undefined) facts.learn(call.learnt);
    };
    const result = invokeNext(this.invoker, call).then(
      (value) => {
        finish();
        state.settle();
        return value;
      },
      (err: unknown) => {
        withAttempts(err, call);
        finish();
        state.settle(err);
        throw err;
      },
    );
    // A server or bidi stream's caller learns the outcome from its iteration, not this promise.
    if (state.receiver !== null) result.catch(() => undefined);
    return result;
  }

  /**
   * A stream's context. Unlike a unary call it has no default deadline: only the call's
   * `timeoutMs`, the method's own (decorator or policy) and a parent call's deadline bound it.
   */
  private startStream(args: unknown[], opts: CallOptions | undefined, kind: StreamKind): ClientCall {
    if (this.life.closed) throw beforeAnyAttempt(clientClosedError());
    const parent = currentContext();
    const now = Date.now();
    let timeoutMs = this.facts.streamTimeoutMs;
    if (opts?.timeoutMs !== undefined) {
      if (!(typeof opts.timeoutMs === 'number' && opts.timeoutMs > 0)) {
        throw beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', `call option timeoutMs must be a number of milliseconds > 0, got ${String(opts.timeoutMs)}`));
      }
      if (timeoutMs === undefined || opts.timeoutMs < timeoutMs) timeoutMs = opts.timeoutMs;
    }
    let deadline = timeoutMs === undefined ? undefined : now + timeoutMs;
    if (parent !== undefined && parent.deadline !== undefined && (deadline === undefined || parent.deadline < deadline)) deadline = parent.deadline;
    const idle = opts?.idleTimeoutMs;
    if (idle !== undefined && !(typeof idle === 'number' && idle > 0 && idle <= 2_147_483_647)) {
      throw beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', `call option idleTimeoutMs must be a number of milliseconds > 0, got ${String(idle)}`));
    }
    let window = this.streamWindow;
    if (opts?.window !== undefined) {
      try {
        window = resolveStreamWindow('call option window', opts.window, this.streamWindow);
      } catch (err) {
        throw beforeAnyAttempt(err instanceof RivetConfigError ? new RpcError('INVALID_ARGUMENT', err.message, undefined, { cause: err }) : asInvalidArgument(err));
      }
    }
    const facts = this.facts;
    const call = new ClientCall(this.service, this.method, args, opts?.metadata ? { ...opts.metadata } : {}, deadline, facts.idempotent, facts.idempotentKnown);
    call.stream = kind;
    call.streamState = new ClientStreamState(kind, window, kind === 'server' ? undefined : args[0], idle, call);
    return this.link(call, opts, parent, now);
  }

  /**
   * One call: rejects with RpcError, never throws. Not an `async` function: one on every call
   * cost a promise, its await and their closures; the call's outcome is chained with one `.then`,
   * and the extra bookkeeping only when the call has signals or facts to learn.
   */
  call(args: unknown[], opts: CallOptions | undefined): Promise<unknown> {
    // One comparison for a method known to be unary; a call by name not yet learnt looks at its first argument.
    const facts0 = this.facts;
    if (!facts0.complete && this.peekFacts !== undefined) {
      const known = this.peekFacts();
      if (known !== undefined) facts0.learn(known);
    }
    if (facts0.stream !== undefined || !facts0.complete) {
      const kind = facts0.stream;
      if (kind === 'client' || (kind === undefined && isAsyncIterable(args[0]))) return this.clientStream(args, opts);
      if (kind !== undefined) return Promise.reject(beforeAnyAttempt(unimplementedAs(this.service, this.method, kind, 'stream()')));
    }
    const parent = currentContext();
    let call: ClientCall;
    try {
      call = this.start(args, opts, parent);
    } catch (err) {
      // A bad option of the call (a `signal` that is not an AbortSignal) throws a TypeError here.
      return Promise.reject(isRpcError(err) ? err : beforeAnyAttempt(asInvalidArgument(err)));
    }
    const userSignal = opts?.signal;
    const parentSignal = parent?.signal;
    // A synchronous throw can only come from a stage above the deadline stage (which never
    // throws), so errorsListAttempts is false then and the `.then` below lists the attempts.
    const result = invokeNext(this.invoker, call);
    const facts = this.facts;
    if (userSignal === undefined && parentSignal === undefined && facts.complete) {
      if (this.errorsListAttempts) return result;
      return result.then(undefined, (err: unknown) => {
        throw withAttempts(err, call);
      });
    }
    const finish = (): void => {
      userSignal?.removeEventListener('abort', call);
      parentSignal?.removeEventListener('abort', call);
      if (!facts.complete && call.learnt !== undefined) facts.learn(call.learnt);
    };
    return result.then(
      (value) => {
        finish();
        return value;
      },
      (err: unknown) => {
        withAttempts(err, call);
        finish();
        // By name on a fresh client, an array first argument could not be told from a client
        // stream's input before any handshake; the server refused the unary request without
        // running anything. Now the handshake says what the method is: call it as the stream.
        if (isStreamRefusal(err) && isIterableInput(args[0])) {
          const known = facts.complete || this.peekFacts === undefined ? undefined : this.peekFacts();
          if (known !== undefined) facts.learn(known);
          if (facts.stream === 'client') return this.clientStream(args, opts);
        }
        throw err;
      },
    );
  }

  /** The call's context, linked to the caller's and the parent call's signals. Throws RpcError. */
  private start(args: unknown[], opts: CallOptions | undefined, parent: CallContext | undefined): ClientCall {
    if (this.life.closed) throw beforeAnyAttempt(clientClosedError());
    const facts = this.facts;
    const now = Date.now();
    let timeoutMs = facts.timeoutMs;
    if (opts?.timeoutMs !== undefined) {
      if (!(typeof opts.timeoutMs === 'number' && opts.timeoutMs > 0)) {
        throw beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', `call option timeoutMs must be a number of milliseconds > 0, got ${String(opts.timeoutMs)}`));
      }
      if (opts.timeoutMs < timeoutMs) timeoutMs = opts.timeoutMs;
    }
    let deadline = now + timeoutMs;
    // A call made while handling a call inherits what is left of that call's deadline, and is
    // cancelled with it.
    if (parent !== undefined && parent.deadline !== undefined && parent.deadline < deadline) deadline = parent.deadline;
    return this.link(new ClientCall(this.service, this.method, args, opts?.metadata ? { ...opts.metadata } : {}, deadline, facts.idempotent, facts.idempotentKnown), opts, parent, now);
  }

  /** Links a new call to its options and its parent call: retries across hops, its retry policy, its signals. */
  private link(call: ClientCall, opts: CallOptions | undefined, parent: CallContext | undefined, now: number): ClientCall {
    const facts = this.facts;
    // A handler serving a retried call does not retry its own calls: retries would multiply
    // across hops (3 attempts at each of N hops is 3^N).
    if (parent !== undefined && parent.metadata[RETRY_ATTEMPT_METADATA_KEY] !== undefined) call.retriesAllowed = false;
    if (!facts.complete) call.startedAtMs = now;
    if (opts?.retry !== undefined) {
      try {
        call.retryPolicy = resolveCallRetryPolicy(this.retryLayer, opts.retry);
      } catch (err) {
        throw beforeAnyAttempt(new RpcError('INVALID_ARGUMENT', (err as Error).message, undefined, { cause: err }));
      }
    }
    const userSignal = opts?.signal;
    const parentSignal = parent?.signal;
    if (userSignal?.aborted || parentSignal?.aborted) {
      throw beforeAnyAttempt(new RpcError('CANCELLED', 'call cancelled before it started', { reason: ErrorReason.CANCELLED_BY_CALLER }, { notProcessed: true }));
    }
    userSignal?.addEventListener('abort', call, { once: true });
    parentSignal?.addEventListener('abort', call, { once: true });
    return call;
  }
}

/** A server's refusal of a unary request for a streaming method (nothing ran). */
function isStreamRefusal(err: unknown): boolean {
  return isRpcError(err) && err.code === 'UNIMPLEMENTED' && reasonOf(err) === ErrorReason.STREAMS_UNSUPPORTED;
}

/** An input a client stream accepts that a unary call would also carry: an array or other sync iterable. */
function isIterableInput(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** The refusal of a streaming method called the wrong way. */
function unimplementedAs(service: string, method: string, kind: StreamKind, how: string): RpcError {
  return new RpcError('UNIMPLEMENTED', `${service}.${method} is a ${kind} stream; call it with ${how}`, { reason: ErrorReason.STREAMS_UNSUPPORTED }, { notProcessed: true });
}

/** The refusal of a call on a closed client. */
export function clientClosedError(): RpcError {
  return new RpcError('UNAVAILABLE', 'client closed', { reason: ErrorReason.CLIENT_CLOSED }, { notProcessed: true });
}

/** Anything a call by name threw before it started, as the INVALID_ARGUMENT it rejects with. */
export function asInvalidArgument(err: unknown): RpcError {
  if (isRpcError(err)) return err;
  return new RpcError('INVALID_ARGUMENT', err instanceof Error ? err.message : String(err), undefined, { cause: err });
}

/** Every error a client returns lists its attempts; one raised before any attempt lists none. */
export function beforeAnyAttempt(err: RpcError): RpcError {
  err.attempts = [];
  return err;
}
