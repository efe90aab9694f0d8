import { composeMiddleware, type CallContext, type Invoker } from '../../../src/call';
import { RpcError } from '../../../src/errors';
import { resolveRetryPolicy, RetryBudget, retryMiddleware } from '../../../src/resilience';
import { FakeClock, makeCtx, rejectionOf } from './support';

const fast = resolveRetryPolicy({ maxAttempts: 4, initialBackoffMs: 1, maxBackoffMs: 2 });

/** An invoker that fails with `errors` in turn, then answers 'ok'; counts its calls. */
function failing(...errors: unknown[]): Invoker & { calls: number } {
  const f = (async (_ctx: CallContext) => {
    f.calls++;
    if (f.calls <= errors.length) throw errors[f.calls - 1];
    return 'ok';
  }) as Invoker & { calls: number };
  f.calls = 0;
  return f;
}

const notProcessed = (): RpcError => new RpcError('UNAVAILABLE', 'refused', { reason: 'CONNECT_FAILED' }, { notProcessed: true });

describe('retryMiddleware', () => {
  it('retries a call that never reached a handler, for a non-idempotent method', async () => {
    const next = failing(notProcessed(), notProcessed());
    const invoke = composeMiddleware([retryMiddleware({ policy: fast, idempotent: false })], next);
    await expect(invoke(makeCtx())).resolves.toBe('ok');
    expect(next.calls).toBe(3);
  });

  it('does not run a non-idempotent call twice once it may have reached a handler', async () => {
    const err = new RpcError('UNAVAILABLE', 'connection lost', { reason: 'CONNECTION_LOST' });
    const next = failing(err);
    const invoke = composeMiddleware([retryMiddleware({ policy: fast, idempotent: false })], next);
    const got = await rejectionOf(invoke(makeCtx()));
    expect(got).toBe(err);
    expect(err.stoppedBy).toBe('notIdempotent');
    expect(next.calls).toBe(1);
  });

  it('gives up after maxAttempts with the last error and stoppedBy maxAttempts', async () => {
    const errors = [notProcessed(), notProcessed(), notProcessed(), notProcessed()];
    const next = failing(...errors);
    const invoke = composeMiddleware([retryMiddleware({ policy: fast, idempotent: true })], next);
    const got = await rejectionOf(invoke(makeCtx()));
    expect(got).toBe(errors[3]);
    expect((got as RpcError).stoppedBy).toBe('maxAttempts');
    expect(next.calls).toBe(4);
  });

  it('returns the original error at once when the budget is spent', async () => {
    const budget = new RetryBudget(resolveRetryPolicy({ budget: { ratio: 0, minPerSecond: 0 } }).budget, new FakeClock().now);
    const err = notProcessed();
    const next = failing(err);
    const invoke = composeMiddleware([retryMiddleware({ policy: fast, idempotent: true, budget })], next);
    const got = await rejectionOf(invoke(makeCtx()));
    expect(got).toBe(err);
    expect(err.stoppedBy).toBe('budget');
    expect(next.calls).toBe(1);
    expect(budget.snapshot()).toEqual({ calls: 1, retries: 0 });
  });

  it('does not start a retry that cannot end before the deadline', async () => {
    const slow = resolveRetryPolicy({ initialBackoffMs: 1_000, maxBackoffMs: 1_000 });
    const err = notProcessed();
    const next = failing(err);
    const invoke = composeMiddleware([retryMiddleware({ policy: slow, idempotent: true, random: () => 0.9 })], next);
    const got = await rejectionOf(invoke(makeCtx({ deadline: Date.now() + 200 })));
    expect(got).toBe(err);
    expect(err.stoppedBy).toBe('deadline');
    expect(next.calls).toBe(1);
  });

  it('stops sleeping when the call is aborted, rejecting with the abort reason', async () => {
    const slow = resolveRetryPolicy({ initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    const controller = new AbortController();
    const next = failing(notProcessed());
    const invoke = composeMiddleware([retryMiddleware({ policy: slow, idempotent: true, random: () => 1 })], next);
    const pending = invoke(makeCtx({ signal: controller.signal }));
    const reason = new RpcError('CANCELLED', 'call cancelled by the caller', { reason: 'CANCELLED_BY_CALLER' });
    setImmediate(() => controller.abort(reason));
    expect(await rejectionOf(pending)).toBe(reason);
    expect(next.calls).toBe(1);
  });

  it('is a pass-through when maxAttempts is 1', async () => {
    const next = failing(notProcessed());
    const invoke = composeMiddleware([retryMiddleware({ policy: resolveRetryPolicy({ maxAttempts: 1 }), idempotent: true })], next);
    await rejectionOf(invoke(makeCtx()));
    expect(next.calls).toBe(1);
  });
});
