import type { Client } from '../../../src';
import { labelledService } from '../../fixtures/cluster/labelled-service';
import { Harness } from '../../helpers/apps';

// ClientPolicy.version is a semver range; an instance's version comes from its @Service.

describe('version ranges', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function labels(c: Client, version: string | undefined, n: number): Promise<Set<string>> {
    const proxy = c.proxy<{ whoami(): Promise<string> }>('Fixture', { balancer: 'round-robin', ...(version === undefined ? {} : { version }) });
    const out = new Set<string>();
    for (let i = 0; i < n; i++) out.add(await proxy.whoami());
    return out;
  }

  it("sends calls with version '^2.0.0' only to instances of @Service('Fixture', { version: '2.x' }) and other 2.x versions", async () => {
    await h.serve({ services: [labelledService('v1', { version: '1.9.0' })] });
    await h.serve({ services: [labelledService('v2x', { version: '2.x' })] });
    await h.serve({ services: [labelledService('v2.3.1', { version: '2.3.1' })] });
    await h.serve({ services: [labelledService('v3', { version: '3.0.0' })] });
    await h.serve({ services: [labelledService('none')] });
    const c = h.client();

    expect(await labels(c, '^2.0.0', 20)).toEqual(new Set(['v2x', 'v2.3.1']));
    // '2.x' promises some 2.x release, not one at or above 2.3.0.
    expect(await labels(c, '^2.3.0', 20)).toEqual(new Set(['v2.3.1']));
    expect(await labels(c, '>=1.0.0 <2.0.0', 20)).toEqual(new Set(['v1']));
    expect(await labels(c, undefined, 30)).toEqual(new Set(['v1', 'v2x', 'v2.3.1', 'v3', 'none']));
  });

  it('fails fast with UNAVAILABLE (NO_INSTANCES) when no instance satisfies the range', async () => {
    await h.serve({ services: [labelledService('v1', { version: '1.0.0' })] });
    const proxy = h.client().proxy<{ whoami(): Promise<string> }>('Fixture', { version: '^4.0.0' });
    await expect(proxy.whoami()).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'NO_INSTANCES' } });
  });
});
