import type { Invoker, Middleware } from '../call';
import { ErrorReason, RpcError } from '../errors';
import type { ClientCall } from './client-call';

/**
 * The one clock of a client call. It sits above retry, so all attempts and all backoff share the
 * caller's single budget. When the deadline passes it aborts the call: the attempt in flight
 * sends a cancel frame and rejects, a retry sleep wakes and gives up.
 *
 * Not an `async` function: one on every call cost a promise, its await and their closures. The
 * stage chains one `.then` on the rest of the call instead.
 */
export const deadlineStage: Middleware = (next) => (ctx) => {
  const call = ctx as ClientCall;
  const deadline = call.deadline;
  if (deadline === undefined) return invoke(next, call);
  const ms = deadline - Date.now();
  if (ms <= 0) return Promise.reject(deadlineError());
  const timer = setTimeout(expire, ms, call);
  return invoke(next, call).then(
    (value) => {
      clearTimeout(timer);
      return value;
    },
    (err: unknown) => {
      clearTimeout(timer);
      // When the call was aborted, the abort's reason is the truth, whatever a stage below made of it.
      throw call.abortReason ?? err;
    },
  );
};

/** `next(call)`, with a synchronous throw turned into a rejection, as an `await` would. */
function invoke(next: Invoker, call: ClientCall): Promise<unknown> {
  try {
    return next(call);
  } catch (err) {
    return Promise.reject(err);
  }
}

function deadlineError(): RpcError {
  return new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded', { reason: ErrorReason.DEADLINE });
}

// Module-level, so arming the timer allocates no closure per call.
function expire(call: ClientCall): void {
  call.abort(deadlineError());
}
