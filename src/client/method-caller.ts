import type { CallContext } from '../call';
// Names read on every call come straight from their files (the hot-path files of the import
// rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { currentContext } from '../call/context-storage';
import { withAttempts } from '../call/deadline-stage';
import { type Invoker, invokeNext } from '../call/invoker';
import { ErrorReason } from '../errors/error-reason';
import { isRpcError, RpcError } from '../errors/rpc-error';
import { RETRY_ATTEMPT_METADATA_KEY, type RetryPolicy } from '../resilience';
import { ClientCall } from './client-call';
import type { KnownFacts } from './method-facts';
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
  ) {}

  /**
   * One call: rejects with RpcError, never throws. Not an `async` function: one on every call
   * cost a promise, its await and their closures; the call's outcome is chained with one `.then`,
   * and the extra bookkeeping only when the call has signals or facts to learn.
   */
  call(args: unknown[], opts: CallOptions | undefined): Promise<unknown> {
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
    const call = new ClientCall(this.service, this.method, args, opts?.metadata ? { ...opts.metadata } : {}, deadline, facts.idempotent, facts.idempotentKnown);
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
