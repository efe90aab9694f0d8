import { resolveRetryPolicy } from '../../../src/resilience';
import { configError } from './support';

describe('resolveRetryPolicy', () => {
  it('fills the defaults and freezes', () => {
    const p = resolveRetryPolicy();
    expect(p).toEqual({ maxAttempts: 3, initialBackoffMs: 50, maxBackoffMs: 2_000, multiplier: 2, retryOn: undefined, budget: { ratio: 0.2, minPerSecond: 10 } });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.budget)).toBe(true);
  });

  it('keeps what is set, deduplicating retryOn', () => {
    const p = resolveRetryPolicy({ maxAttempts: 10, initialBackoffMs: 5, maxBackoffMs: 5, multiplier: 1.5, retryOn: ['ABORTED', 'ABORTED', 'INTERNAL'], budget: { ratio: 1 } });
    expect(p).toMatchObject({ maxAttempts: 10, initialBackoffMs: 5, maxBackoffMs: 5, multiplier: 1.5, retryOn: ['ABORTED', 'INTERNAL'], budget: { ratio: 1, minPerSecond: 10 } });
    expect(Object.isFrozen(p.retryOn)).toBe(true);
  });

  it('raises the default maxBackoffMs to a larger initialBackoffMs', () => {
    expect(resolveRetryPolicy({ initialBackoffMs: 5_000 }).maxBackoffMs).toBe(5_000);
  });

  it.each([
    [{ maxAttempts: 0 }, 'ClientPolicy.retry.maxAttempts must be an integer from 1 to 10'],
    [{ maxAttempts: 11 }, 'ClientPolicy.retry.maxAttempts must be an integer from 1 to 10 (first try included; 1 turns retries off), got 11'],
    [{ maxAttempts: 2.5 }, 'got 2.5'],
    [{ maxAttempts: '3' }, 'got "3"'],
    [{ initialBackoffMs: -5 }, 'ClientPolicy.retry.initialBackoffMs must be a number of milliseconds > 0'],
    [{ initialBackoffMs: 0 }, 'initialBackoffMs must be a number of milliseconds > 0'],
    [{ maxBackoffMs: NaN }, 'maxBackoffMs must be a number of milliseconds > 0'],
    [{ initialBackoffMs: 500, maxBackoffMs: 100 }, 'ClientPolicy.retry.maxBackoffMs (100) must be at least initialBackoffMs (500)'],
    [{ multiplier: 0.5 }, 'ClientPolicy.retry.multiplier must be a number >= 1 and <= 10'],
    [{ multiplier: 'x' }, 'multiplier must be a number'],
    [{ retryOn: 'UNAVAILABLE' }, "ClientPolicy.retry.retryOn must be an array of codes such as ['UNAVAILABLE', 'ABORTED'], got \"UNAVAILABLE\""],
    [{ retryOn: ['UNAVAILBLE'] }, 'ClientPolicy.retry.retryOn: "UNAVAILBLE" is not an RpcCode. Use one of UNAVAILABLE'],
    [{ retryOn: ['NOT_FOUND'] }, "ClientPolicy.retry.retryOn: 'NOT_FOUND' is a business code"],
    [{ retryOn: ['INVALID_ARGUMENT'] }, 'Remove it from retryOn'],
    [{ retryOn: ['CANCELLED'] }, "'CANCELLED' is never retried (the caller gave up)"],
    [{ retryOn: ['DATA_LOSS'] }, "'DATA_LOSS' is never retried"],
    [{ budget: { ratio: 1.5 } }, 'ClientPolicy.retry.budget.ratio must be a number >= 0 and <= 1'],
    [{ budget: { ratio: -0.1 } }, 'budget.ratio must be a number >= 0'],
    [{ budget: { minPerSecond: -1 } }, 'ClientPolicy.retry.budget.minPerSecond must be a number >= 0'],
    [{ budget: 5 }, 'ClientPolicy.retry.budget must be an object, got 5'],
  ])('rejects %j with RIVET_ERR_INVALID_OPTION: %s', (input, message) => {
    const err = configError(() => resolveRetryPolicy(input, 'ClientPolicy.retry'));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toContain(message);
  });

  it('rejects unknown keys with RIVET_ERR_UNKNOWN_OPTION and a suggestion', () => {
    const err = configError(() => resolveRetryPolicy({ maxAttempt: 3 }, 'ClientPolicy.retry'));
    expect(err.code).toBe('RIVET_ERR_UNKNOWN_OPTION');
    expect(err.message).toContain("ClientPolicy.retry: unknown key 'maxAttempt'; did you mean 'maxAttempts'?");
    expect(configError(() => resolveRetryPolicy({ budget: { ratoi: 0.1 } })).message).toContain("RetryPolicy.budget: unknown key 'ratoi'; did you mean 'ratio'?");
  });

  it('rejects a non-object', () => {
    expect(configError(() => resolveRetryPolicy(3)).message).toContain('RetryPolicy must be an object, got 3');
  });
});
