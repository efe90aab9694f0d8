import type { Client } from '../../../src';
import { labelledService } from '../../fixtures/cluster/labelled-service';
import { Harness, waitFor } from '../../helpers/apps';

// rivet.Health is served by every app and answers for the instance it runs on, so a health
// checker addresses one instance (its 'host:port'), not the service through the registry.

describe('rivet.Health', () => {
  const h = new Harness();
  afterEach(() => h.close());

  function healthClient(address: string): Client {
    return h.client({ endpoints: { 'rivet.Health': [address] } });
  }
  const check = (c: Client, service?: string) => c.invoke('rivet.Health', 'check', service === undefined ? [] : [service]);

  it('answers SERVING, NOT_SERVING after setHealth, and UNKNOWN for a service it does not serve', async () => {
    const { app, address } = await h.serve({ services: [labelledService('a')] });
    const c = healthClient(address);
    await expect(check(c, 'Fixture')).resolves.toEqual({ status: 'SERVING' });
    await expect(check(c)).resolves.toEqual({ status: 'SERVING' });
    await expect(check(c, 'Nope')).resolves.toEqual({ status: 'UNKNOWN' });

    app.setHealth('Fixture', 'NOT_SERVING');
    await expect(check(c, 'Fixture')).resolves.toEqual({ status: 'NOT_SERVING' });
    app.setHealth('Fixture', 'SERVING');
    await expect(check(c, 'Fixture')).resolves.toEqual({ status: 'SERVING' });
  });

  it('answers a watch when the status changes, and at once when it already differs from the known one', async () => {
    const { app, address } = await h.serve({ services: [labelledService('a')] });
    const c = healthClient(address);
    await expect(c.invoke('rivet.Health', 'watch', ['Fixture', 'NOT_SERVING'])).resolves.toEqual({ status: 'SERVING' });

    let answered = false;
    const watching = c.invoke('rivet.Health', 'watch', ['Fixture', 'SERVING'], { timeoutMs: 5_000 }).finally(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered).toBe(false);
    app.setHealth('Fixture', 'NOT_SERVING');
    await expect(watching).resolves.toEqual({ status: 'NOT_SERVING' });
  });

  it('reports NOT_SERVING to a watcher as soon as the app starts draining', async () => {
    const { app, address } = await h.serve({ services: [labelledService('a')] });
    const c = healthClient(address);
    const work = h.client({ endpoints: { Fixture: [address] } });
    // A slow call keeps the drain going while the watch answers.
    const slow = work.invoke('Fixture', 'behave', ['slow'], { metadata: { 'x-delay-ms': '400' } });
    const watching = c.invoke('rivet.Health', 'watch', ['Fixture', 'SERVING'], { timeoutMs: 5_000 });
    await expect(check(c, 'Fixture')).resolves.toEqual({ status: 'SERVING' });
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await expect(watching).resolves.toEqual({ status: 'NOT_SERVING' });
    expect(closed).toBe(false);
    await expect(slow).resolves.toMatchObject({ key: 'slow', label: 'a' });
    await closing;
  });

  it('takes a NOT_SERVING service out of the registry, so clients send its calls elsewhere, and puts it back on SERVING', async () => {
    const { app } = await h.serve({ services: [labelledService('a')] });
    await h.serve({ services: [labelledService('b')] });
    const c = h.client({ policy: { balancer: 'round-robin' } });
    const labels = async (n: number): Promise<Set<string>> => {
      const out = new Set<string>();
      for (let i = 0; i < n; i++) out.add((await c.invoke('Fixture', 'whoami')) as string);
      return out;
    };
    expect(await labels(4)).toEqual(new Set(['a', 'b']));
    app.setHealth('Fixture', 'NOT_SERVING');
    await waitFor(() => c.endpoints('Fixture').length === 1, 1_000, 'the client to drop the unhealthy instance');
    expect(await labels(10)).toEqual(new Set(['b']));
    app.setHealth('Fixture', 'SERVING');
    await waitFor(() => c.endpoints('Fixture').length === 2, 1_000, 'the client to take the instance back');
    expect(await labels(4)).toEqual(new Set(['a', 'b']));
  });
});
