import { abortableSleep } from '../../src/resilience';

/** Waits `ms`, or rejects with the call's abort reason as soon as its signal aborts. */
export const delay = abortableSleep;

/** Never resolves; rejects with the signal's reason when it aborts (a handler that hangs until cancelled). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
