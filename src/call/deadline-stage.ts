import { type AttemptRecord, ErrorReason, isRpcError, RpcError } from '../errors';
import type { CallContext } from './call-context';
import { DeadlineTimers, type Timed } from './deadline-timers';
import { type Invoker, invokeNext } from './invoker';

/**
 * What the deadline stage reads and writes of a call: its deadline, the timer links (so arming
 * one allocates nothing), why it was aborted, and the attempts it made (which every error lists).
 * The client's call implements it; `expire()` aborts the call with {@link deadlineExceeded}.
 */
export interface DeadlineCall extends CallContext, Timed {
  /** Why the call was aborted (deadline, caller, lost hedge); undefined while it is not. */
  readonly abortReason: RpcError | undefined;
  /** One record per failed attempt; null while none failed. */
  readonly attempts: AttemptRecord[] | null;
}

/** The error of a call whose deadline passed. */
export function deadlineExceeded(): RpcError {
  return new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded', { reason: ErrorReason.DEADLINE });
}

/** Every error a client returns lists its attempts: sets `err.attempts` from the call's, once. */
export function withAttempts<E>(err: E, call: { readonly attempts: AttemptRecord[] | null }): E {
  if (isRpcError(err) && err.attempts === undefined) err.attempts = call.attempts ?? [];
  return err;
}

// One set of timers for every client of the process: a call's deadline costs no Timeout of its own.
const timers = new DeadlineTimers();

/**
 * The one clock of a client call. It sits above retry, so all attempts and all backoff share the
 * caller's single budget. When the deadline passes it expires the call (`call.expire()`): the
 * attempt in flight sends a cancel frame and rejects, a retry sleep wakes and gives up.
 *
 * Every error it rejects with lists the call's attempts (`err.attempts`), so when no stage sits
 * above it the client returns its outcome as it is, with no `.then` of its own.
 *
 * A generic function rather than a factory, so it is a `Middleware` of any call that has what it
 * reads. Not an `async` function: one on every call cost a promise, its await and their closures.
 * The stage chains one `.then` on the rest of the call instead.
 */
export function deadlineStage<C extends DeadlineCall>(next: Invoker<C>): Invoker<C> {
  return (call) => {
    const deadline = call.deadline;
    if (deadline === undefined) {
      return invokeNext(next, call).then(undefined, (err: unknown) => {
        throw withAttempts(err, call);
      });
    }
    const ms = deadline - Date.now();
    if (ms <= 0) return Promise.reject(withAttempts(deadlineExceeded(), call));
    timers.arm(call, ms);
    return invokeNext(next, call).then(
      (value) => {
        timers.disarm(call);
        return value;
      },
      (err: unknown) => {
        timers.disarm(call);
        // When the call was aborted, the abort's reason is the truth, whatever a stage below made of it.
        throw withAttempts(call.abortReason ?? err, call);
      },
    );
  };
}
