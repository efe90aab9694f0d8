import { resolveRateLimitPolicy } from '../../../src/resilience';
import { configError } from './support';

describe('resolveRateLimitPolicy', () => {
  it('fills burst, by and maxKeys and freezes', () => {
    expect(resolveRateLimitPolicy({ perSecond: 100 })).toEqual({ perSecond: 100, burst: 100, by: 'service', maxKeys: 10_000 });
    expect(resolveRateLimitPolicy({ perSecond: 0.5 }).burst).toBe(1);
    expect(resolveRateLimitPolicy({ perSecond: 2.5, burst: 7, by: 'caller', maxKeys: 5 })).toEqual({ perSecond: 2.5, burst: 7, by: 'caller', maxKeys: 5 });
    expect(Object.isFrozen(resolveRateLimitPolicy({ perSecond: 1 }))).toBe(true);
  });

  it.each([
    [undefined, 'RateLimitPolicy needs perSecond'],
    [{}, 'RateLimitPolicy.perSecond is required'],
    [{ perSecond: 0 }, 'RateLimitPolicy.perSecond must be a number > 0'],
    [{ perSecond: -3 }, 'got -3'],
    [{ perSecond: Infinity }, 'got Infinity'],
    [{ perSecond: 1, burst: 0 }, 'RateLimitPolicy.burst must be a positive integer, got 0'],
    [{ perSecond: 1, by: 'user' }, "RateLimitPolicy.by must be one of 'service', 'method', 'caller', got \"user\""],
    [{ perSecond: 1, maxKeys: 0 }, 'RateLimitPolicy.maxKeys must be a positive integer'],
  ])('rejects %j: %s', (input, message) => {
    const err = configError(() => resolveRateLimitPolicy(input));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toContain(message);
  });

  it('rejects unknown keys', () => {
    const err = configError(() => resolveRateLimitPolicy({ perSec: 1 }));
    expect(err.code).toBe('RIVET_ERR_UNKNOWN_OPTION');
    expect(err.message).toContain("did you mean 'perSecond'?");
  });
});
