import { composeMiddleware } from '../../../src/call';
import { RpcError } from '../../../src/errors';
import { callerOf, RateLimiter, rateLimitMiddleware, resolveRateLimitPolicy } from '../../../src/resilience';
import { FakeClock, makeCtx, rejectionOf } from './support';

describe('RateLimiter', () => {
  it('rejects past the burst with RATE_LIMITED and retryAfterMs from the bucket, then refills', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(resolveRateLimitPolicy({ perSecond: 5, burst: 2 }), clock.now);
    const handler = jest.fn(async () => 'ok');
    const invoke = composeMiddleware([rateLimitMiddleware(limiter)], handler);
    await expect(invoke(makeCtx())).resolves.toBe('ok');
    await expect(invoke(makeCtx())).resolves.toBe('ok');
    const err = await rejectionOf(invoke(makeCtx()));
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'RESOURCE_EXHAUSTED', notProcessed: true, details: { reason: 'RATE_LIMITED', retryAfterMs: 200 } });
    expect(handler).toHaveBeenCalledTimes(2);
    clock.advance(150);
    await expect(invoke(makeCtx())).rejects.toMatchObject({ details: { retryAfterMs: 50 } });
    clock.advance(50);
    await expect(invoke(makeCtx())).resolves.toBe('ok');
  });

  it("keeps one bucket per service with by: 'service'", () => {
    const limiter = new RateLimiter(resolveRateLimitPolicy({ perSecond: 1 }), new FakeClock().now);
    expect(limiter.check(makeCtx({ method: 'a' }))).toBe(0);
    expect(limiter.check(makeCtx({ method: 'b' }))).toBeGreaterThan(0);
    expect(limiter.check(makeCtx({ service: 'Other' }))).toBe(0);
  });

  it("keeps one bucket per method with by: 'method'", () => {
    const limiter = new RateLimiter(resolveRateLimitPolicy({ perSecond: 1, by: 'method' }), new FakeClock().now);
    expect(limiter.check(makeCtx({ method: 'a' }))).toBe(0);
    expect(limiter.check(makeCtx({ method: 'b' }))).toBe(0);
    expect(limiter.check(makeCtx({ method: 'a' }))).toBeGreaterThan(0);
    expect(limiter.check(makeCtx({ service: 'Other', method: 'a' }))).toBe(0);
  });

  it("keeps one bucket per caller with by: 'caller'", () => {
    const limiter = new RateLimiter(resolveRateLimitPolicy({ perSecond: 1, by: 'caller' }), new FakeClock().now);
    const alice = makeCtx({ peer: { address: '10.0.0.1:5000', identity: { subject: 'CN=alice', san: [], fingerprint256: '' } } });
    const bob = makeCtx({ peer: { address: '10.0.0.1:5001' }, metadata: { 'rivet-caller': 'bob' } });
    expect(limiter.check(alice)).toBe(0);
    expect(limiter.check(alice)).toBeGreaterThan(0);
    expect(limiter.check(bob)).toBe(0);
    expect(limiter.check(bob)).toBeGreaterThan(0);
  });

  it('names the caller by verified subject, then rivet-caller metadata, then peer host', () => {
    const identity = { subject: 'CN=alice', san: [], fingerprint256: '' };
    expect(callerOf(makeCtx({ peer: { address: '10.0.0.1:1', identity }, metadata: { 'rivet-caller': 'x' } }))).toBe('id:CN=alice');
    expect(callerOf(makeCtx({ peer: { address: '10.0.0.1:1' }, metadata: { 'rivet-caller': 'billing' } }))).toBe('md:billing');
    // Two connections of one host share a bucket.
    expect(callerOf(makeCtx({ peer: { address: '10.0.0.1:1' } }))).toBe(callerOf(makeCtx({ peer: { address: '10.0.0.1:2' } })));
    expect(callerOf(makeCtx({ peer: { address: '[::1]:4000' } }))).toBe('ip:[::1]');
    expect(callerOf(makeCtx())).toBe('unknown');
    expect(callerOf(makeCtx({ metadata: { 'rivet-caller': 'x'.repeat(10_000) } })).length).toBeLessThanOrEqual(128);
  });

  it('bounds the buckets kept for many callers, forgetting idle ones first', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(resolveRateLimitPolicy({ perSecond: 10, burst: 1, by: 'caller', maxKeys: 100 }), clock.now);
    // An active caller that is never idle.
    const busy = makeCtx({ metadata: { 'rivet-caller': 'busy' } });
    limiter.check(busy);
    for (let i = 0; i < 10_000; i++) {
      limiter.check(makeCtx({ metadata: { 'rivet-caller': `c${i}` } }));
      if (i % 100 === 0) clock.advance(50);
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    clock.advance(1_000); // every bucket has refilled: all are idle and forgettable
    limiter.check(makeCtx({ metadata: { 'rivet-caller': 'late' } }));
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('forgets a full bucket without letting its caller exceed the limit', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(resolveRateLimitPolicy({ perSecond: 1, burst: 1, by: 'caller', maxKeys: 2 }), clock.now);
    const a = makeCtx({ metadata: { 'rivet-caller': 'a' } });
    expect(limiter.check(a)).toBe(0);
    clock.advance(1_000); // a has refilled
    expect(limiter.check(makeCtx({ metadata: { 'rivet-caller': 'b' } }))).toBe(0);
    expect(limiter.check(makeCtx({ metadata: { 'rivet-caller': 'c' } }))).toBe(0); // sweeps a (full)
    expect(limiter.check(a)).toBe(0); // a fresh bucket is as full as the forgotten one
    expect(limiter.check(a)).toBeGreaterThan(0);
  });
});
