import { createCallContext, type CallContext, type Peer } from '../../../src/call';
export { configError } from '../../helpers/config-error';

/** A monotonic clock the test moves by hand. */
export class FakeClock {
  constructor(public nowMs = 0) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A server- or client-side context for stage tests. */
export function makeCtx(
  opts: { service?: string; method?: string; deadline?: number; signal?: AbortSignal; peer?: Peer; metadata?: Record<string, string> } = {},
): CallContext {
  return createCallContext(
    'server',
    opts.service ?? 'Orders',
    opts.method ?? 'place',
    [],
    opts.metadata ?? {},
    opts.deadline,
    opts.signal ?? new AbortController().signal,
    opts.peer,
  );
}

/** Polls `cond` every 5 ms until it holds, failing after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 2_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise with its resolve and reject, for calls the test settles by hand. */
export function deferred<T = unknown>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The rejection of `p`, failing the test when it resolves. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
