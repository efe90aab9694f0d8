import { failWhile, labelledService } from '../../fixtures/cluster/labelled-service';
import { Harness, outcomeCode } from '../../helpers/apps';

// Endpoint health belongs to the client, not to one proxy: outlier ejection, breakers (under the
// same breaker policy), in-flight counts and latency are shared by every proxy and by-name call
// of one client for a service, and client.endpoints(service) shows them.

interface Labelled {
  whoami(): Promise<string>;
}

describe('endpoint health shared by every proxy of a client', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('a breaker opened through one proxy is open for another proxy and for calls by name, and endpoints() shows it', async () => {
    const sick = await h.serve({ services: [labelledService('sick')], interceptors: [failWhile(() => true)] });
    const breaker = { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 30_000 };
    const client = h.client({ policy: { retry: false, outlierDetection: false, breaker } });
    const first = client.proxy<Labelled>('Fixture');
    const second = client.proxy<Labelled>('Fixture');
    for (let i = 0; i < 3; i++) expect(await outcomeCode(first.whoami())).toBe('UNAVAILABLE');

    const view = client.endpoints('Fixture').find((e) => e.address === sick.address) as unknown as Record<string, unknown>;
    expect({ breaker: view.breaker, calls: view.calls, failures: view.failures }).toEqual({ breaker: 'open', calls: 3, failures: 3 });
    // The other proxy fails fast on the same open breaker: nothing more reaches the server.
    const err = await second.whoami().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'BREAKER_OPEN' } });
    await expect(client.invoke('Fixture', 'whoami')).rejects.toMatchObject({ details: { reason: 'BREAKER_OPEN' } });
  });

  it('an endpoint ejected through one proxy is skipped by another, and endpoints() shows it ejected', async () => {
    let failing = true;
    const sick = await h.serve({ services: [labelledService('sick')], interceptors: [failWhile(() => failing)] });
    const well = await h.serve({ services: [labelledService('well')] });
    const client = h.client({
      policy: { retry: false, breaker: false, balancer: 'round-robin', outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 30_000 } },
    });
    const first = client.proxy<Labelled>('Fixture');
    let failures = 0;
    for (let i = 0; i < 6 && failures < 2; i++) if ((await outcomeCode(first.whoami())) !== 'OK') failures++;
    expect(failures).toBe(2);
    failing = false;

    const view = client.endpoints('Fixture').find((e) => e.address === sick.address) as unknown as Record<string, unknown>;
    expect({ ejected: view.ejected, failures: view.failures }).toEqual({ ejected: true, failures: 2 });
    const second = client.proxy<Labelled>('Fixture', { balancer: 'round-robin' });
    for (let i = 0; i < 6; i++) expect(await second.whoami()).toBe('well');
    expect(client.endpoints('Fixture').find((e) => e.address === well.address)?.ejected).toBe(false);
  });

  it('in-flight counts and latency of one endpoint are the same through every proxy', async () => {
    const { address } = await h.serve({ services: [labelledService('slow')] });
    const client = h.client();
    const slow = client.proxy<{ behave(key: string): Promise<unknown> }>('Fixture', {
      interceptors: [
        (ctx, next) => {
          ctx.metadata['x-delay-ms'] = '400';
          return next();
        },
      ],
    });
    const calls = [slow.behave('x'), slow.behave('y')];
    const view = () => client.endpoints('Fixture').find((e) => e.address === address);
    // Two calls in flight through one proxy; the by-name view of the same client counts them.
    for (let i = 0; i < 100 && view()?.inFlight !== 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(view()?.inFlight).toBe(2);
    await Promise.all(calls);
    expect(view()?.inFlight).toBe(0);
    expect(view()?.ewmaMs).toBeGreaterThanOrEqual(300);
  });
});
