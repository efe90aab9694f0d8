import type { Middleware } from '../call';
import { ErrorReason, isRpcError, reasonOf, RpcError } from '../errors';
import type { ClientCall } from './client-call';

const INITIAL_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;

// Retrying these cannot help: nothing is there, or the client itself is gone.
const HOPELESS: ReadonlySet<string> = new Set([ErrorReason.NO_INSTANCES, ErrorReason.CLIENT_CLOSED, ErrorReason.NO_READY_ENDPOINT]);

/**
 * Retries calls that provably never reached a handler (`err.notProcessed`): safe for any method,
 * idempotent or not. It sits above resolve and pick, so each attempt picks again and the
 * endpoints that failed this call are avoided while others remain. A draining server's refusal
 * is retried at once; other failures back off with full jitter, and a retry that could not finish
 * before the deadline is not started.
 */
export function retryStage(maxAttempts: number): Middleware {
  return (next) => async (ctx) => {
    const call = ctx as ClientCall;
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(ctx);
      } catch (err) {
        if (!isRpcError(err) || !err.notProcessed || err.code !== 'UNAVAILABLE') throw err;
        const reason = reasonOf(err);
        if (reason !== undefined && HOPELESS.has(reason)) throw err;
        if (attempt >= maxAttempts) {
          err.stoppedBy = 'maxAttempts';
          throw err;
        }
        if (reason !== ErrorReason.SERVER_DRAINING) {
          const delayMs = Math.random() * Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** (attempt - 1));
          if (call.deadline !== undefined && Date.now() + delayMs >= call.deadline) {
            err.stoppedBy = 'deadline';
            throw err;
          }
          await sleep(delayMs, call.signal);
        }
      }
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof RpcError ? signal.reason : new RpcError('CANCELLED', 'call cancelled'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
