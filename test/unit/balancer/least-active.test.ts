import { LeastActiveBalancer } from '../../../src/balancer';
import { callContext, fakeEndpoint, fakeEndpoints, type FakeEndpoint, tally } from './fakes';

const ctx = callContext();

describe('LeastActiveBalancer', () => {
  it('picks the endpoint with the fewest calls in flight', () => {
    const endpoints = [
      fakeEndpoint('10.0.0.1:4000', { inFlight: 4 }),
      fakeEndpoint('10.0.0.2:4000', { inFlight: 1 }),
      fakeEndpoint('10.0.0.3:4000', { inFlight: 7 }),
    ];
    const balancer = new LeastActiveBalancer();
    for (let i = 0; i < 10; i++) expect(balancer.pick(endpoints, ctx)).toBe(endpoints[1]);
  });

  it('shares load evenly among endpoints tied on the fewest', () => {
    const endpoints = [
      fakeEndpoint('10.0.0.1:4000', { inFlight: 0 }),
      fakeEndpoint('10.0.0.2:4000', { inFlight: 5 }),
      fakeEndpoint('10.0.0.3:4000', { inFlight: 0 }),
      fakeEndpoint('10.0.0.4:4000', { inFlight: 0 }),
    ];
    const balancer = new LeastActiveBalancer();
    const counts = tally(Array.from({ length: 300 }, () => balancer.pick(endpoints, ctx)));
    expect(counts.get('10.0.0.1:4000')).toBe(100);
    expect(counts.get('10.0.0.3:4000')).toBe(100);
    expect(counts.get('10.0.0.4:4000')).toBe(100);
    expect(counts.get('10.0.0.2:4000')).toBeUndefined();
  });

  it('keeps in-flight counts within one of each other as calls pile up', () => {
    const endpoints = fakeEndpoints(4);
    endpoints[2].inFlight = 6;
    const balancer = new LeastActiveBalancer();
    for (let i = 0; i < 1000; i++) (balancer.pick(endpoints, ctx) as FakeEndpoint).inFlight++;
    const counts = endpoints.map((e) => e.inFlight);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('prefers a healthy endpoint over a less loaded breaker-open or ejected one', () => {
    const endpoints = [
      fakeEndpoint('10.0.0.1:4000', { inFlight: 0, breaker: 'open' }),
      fakeEndpoint('10.0.0.2:4000', { inFlight: 0, ejected: true }),
      fakeEndpoint('10.0.0.3:4000', { inFlight: 9 }),
    ];
    expect(new LeastActiveBalancer().pick(endpoints, ctx)).toBe(endpoints[2]);
  });

  it('picks the least loaded when every endpoint offered is unhealthy', () => {
    const endpoints = [
      fakeEndpoint('10.0.0.1:4000', { inFlight: 3, breaker: 'open' }),
      fakeEndpoint('10.0.0.2:4000', { inFlight: 1, ejected: true }),
    ];
    expect(new LeastActiveBalancer().pick(endpoints, ctx)).toBe(endpoints[1]);
  });
});
