import { RpcError, isRpcError } from '../errors';

/**
 * Resolves after `ms`, or rejects as soon as `signal` aborts: with the abort reason when it is an
 * RpcError (the deadline stage's `DEADLINE_EXCEEDED`, the caller's `CANCELLED`), else with
 * `CANCELLED`. The timer is cleared on abort, so nothing is left pending.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  // A closure per sleep is fine here: only retries and queued calls sleep, never the hot path.
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The RpcError a call whose signal aborted rejects with. */
export function abortError(signal: AbortSignal): RpcError {
  return isRpcError(signal.reason) ? signal.reason : new RpcError('CANCELLED', 'call cancelled', undefined, { cause: signal.reason });
}
