import { TokenBucket } from '../../../src/resilience';

describe('TokenBucket', () => {
  it('starts full, spends one token per call, then says when the next is due', () => {
    const bucket = new TokenBucket(10, 3, 0); // one token every 100 ms
    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0)]).toEqual([0, 0, 0]);
    expect(bucket.tryTake(0)).toBe(100);
    expect(bucket.tryTake(40)).toBe(60);
    expect(bucket.tryTake(100)).toBe(0);
  });

  it('refills at perSecond up to burst, never beyond', () => {
    const bucket = new TokenBucket(2, 4, 0);
    for (let i = 0; i < 4; i++) bucket.tryTake(0);
    expect(bucket.available(500)).toBeCloseTo(1);
    expect(bucket.available(1_000)).toBeCloseTo(2);
    expect(bucket.available(60_000)).toBe(4);
    expect(bucket.isFull(60_000)).toBe(true);
  });

  it('rounds retryAfterMs up and never returns less than 1', () => {
    const slow = new TokenBucket(3, 1, 0);
    slow.tryTake(0);
    expect(slow.tryTake(0)).toBe(334); // 333.3 ms per token
    const fast = new TokenBucket(1e6, 1, 0);
    fast.tryTake(0);
    expect(fast.tryTake(0)).toBe(1);
  });

  it('ignores a clock that steps back', () => {
    const bucket = new TokenBucket(10, 1, 1_000);
    bucket.tryTake(1_000);
    expect(bucket.tryTake(500)).toBe(100);
  });
});
