import { mergePolicies, resolveRetryPolicy, type RetryPolicy } from '../../../src/resilience';

describe('mergePolicies', () => {
  it('lets later (more specific) layers win key by key', () => {
    const app: RetryPolicy = { maxAttempts: 2, initialBackoffMs: 10 };
    const cls: RetryPolicy = { maxAttempts: 4 };
    const method: RetryPolicy = { retryOn: ['ABORTED'] };
    const client: RetryPolicy = { initialBackoffMs: 20 };
    const call: RetryPolicy = { maxAttempts: 5 };
    expect(mergePolicies(app, cls, method, client, call)).toEqual({ maxAttempts: 5, initialBackoffMs: 20, retryOn: ['ABORTED'] });
  });

  it('merges nested objects key by key and replaces arrays', () => {
    const merged = mergePolicies<RetryPolicy>(
      { budget: { ratio: 0.1, minPerSecond: 1 }, retryOn: ['UNAVAILABLE', 'ABORTED'] },
      { budget: { ratio: 0.3 }, retryOn: ['INTERNAL'] },
    );
    expect(merged).toEqual({ budget: { ratio: 0.3, minPerSecond: 1 }, retryOn: ['INTERNAL'] });
  });

  it('skips undefined layers and undefined keys', () => {
    expect(mergePolicies<RetryPolicy>(undefined, { maxAttempts: 4 }, { maxAttempts: undefined }, undefined)).toEqual({ maxAttempts: 4 });
    expect(mergePolicies<RetryPolicy>()).toEqual({});
  });

  it('turns the feature off with false, and a later object starts again from defaults', () => {
    expect(mergePolicies<RetryPolicy>({ maxAttempts: 4 }, false)).toBe(false);
    expect(mergePolicies<RetryPolicy>({ maxAttempts: 4, initialBackoffMs: 9 }, false, { multiplier: 3 })).toEqual({ multiplier: 3 });
  });

  it('does not mutate its layers, and the result resolves', () => {
    const a: RetryPolicy = { budget: { ratio: 0.1 } };
    const b: RetryPolicy = { budget: { minPerSecond: 2 } };
    const merged = mergePolicies(a, b);
    expect(a).toEqual({ budget: { ratio: 0.1 } });
    expect(merged !== false && resolveRetryPolicy(merged).budget).toEqual({ ratio: 0.1, minPerSecond: 2 });
  });

  it('ignores a __proto__ key from parsed JSON', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": true}, "maxAttempts": 2}') as RetryPolicy;
    const merged = mergePolicies<RetryPolicy>({}, evil);
    expect(merged).toEqual({ maxAttempts: 2 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });
});
