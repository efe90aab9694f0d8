import type { Middleware } from '../call';
import { ErrorReason, RpcError } from '../errors';
import type { ClientCall } from './client-call';

/**
 * The one clock of a client call. It sits above retry, so all attempts and all backoff share the
 * caller's single budget. When the deadline passes it aborts the call's signal: the attempt in
 * flight sends a cancel frame and rejects, a retry sleep wakes and gives up.
 */
export const deadlineStage: Middleware = (next) => async (ctx) => {
  const call = ctx as ClientCall;
  const deadline = call.deadline;
  if (deadline === undefined) return next(ctx);
  const ms = deadline - Date.now();
  if (ms <= 0) throw deadlineError();
  const timer = setTimeout(expire, ms, call);
  try {
    return await next(ctx);
  } catch (err) {
    // When the call was aborted, the abort's reason is the truth, whatever a stage below made of it.
    throw call.abortReason ?? err;
  } finally {
    clearTimeout(timer);
  }
};

function deadlineError(): RpcError {
  return new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded', { reason: ErrorReason.DEADLINE });
}

// Module-level, so arming the timer allocates no closure per call.
function expire(call: ClientCall): void {
  call.abort(deadlineError());
}
