import { DeadlineTimers, invokeNext, type Middleware } from '../call';
import { type ClientCall, deadlineExceeded, withAttempts } from './client-call';

// One set of timers for every client of the process: a call's deadline costs no Timeout of its own.
const timers = new DeadlineTimers();

/**
 * The one clock of a client call. It sits above retry, so all attempts and all backoff share the
 * caller's single budget. When the deadline passes it aborts the call: the attempt in flight
 * sends a cancel frame and rejects, a retry sleep wakes and gives up.
 *
 * Every error it rejects with lists the call's attempts (`err.attempts`), so when no stage sits
 * above it the client returns its outcome as it is, with no `.then` of its own.
 *
 * Not an `async` function: one on every call cost a promise, its await and their closures. The
 * stage chains one `.then` on the rest of the call instead.
 */
export const deadlineStage: Middleware = (next) => (ctx) => {
  const call = ctx as ClientCall;
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
