import type { Client, EndpointView } from '../../../src';
import { failWhile, labelledService, sleep } from '../../fixtures/cluster/labelled-service';
import { Harness, waitFor } from '../../helpers/apps';

// Passive outlier detection: the client counts consecutive failures per endpoint and ejects an
// endpoint that passes the threshold, for a backoff that grows with each ejection.

// Long enough that well over MIN_CALLS_WHILE_EJECTED calls fit in one ejection even on a starved
// machine; the test counts only calls that provably ran inside it, and checks that enough did.
const BASE_EJECTION_MS = 1_000;
const MIN_CALLS_WHILE_EJECTED = 20;

describe('outlier ejection across three instances', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function cluster(failing: Record<string, () => boolean>): Promise<Record<string, string>> {
    const addresses: Record<string, string> = {};
    for (const label of ['a', 'b', 'c']) {
      const check = failing[label];
      const { address } = await h.serve({ services: [labelledService(label)], interceptors: check ? [failWhile(check)] : [] });
      addresses[label] = address;
    }
    return addresses;
  }

  function client(): Client {
    return h.client({
      policy: {
        balancer: 'round-robin',
        // Each failure reaches the detector on its own: no retry hides it, no breaker races it.
        retry: false,
        breaker: false,
        outlierDetection: { consecutiveFailures: 5, baseEjectionMs: BASE_EJECTION_MS, maxEjectionMs: 10_000 },
      },
    });
  }

  /** Calls whoami `n` times; returns the labels that answered and how many calls failed. */
  async function calls(c: Client, n: number): Promise<{ labels: string[]; failed: number }> {
    const labels: string[] = [];
    let failed = 0;
    for (let i = 0; i < n; i++) {
      try {
        labels.push((await c.invoke('Fixture', 'whoami')) as string);
      } catch {
        failed++;
      }
    }
    return { labels, failed };
  }

  const view = (c: Client, address: string): EndpointView | undefined => c.endpoints('Fixture').find((e) => e.address === address);

  it('ejects an instance after 5 consecutive failures, sends it nothing while ejected, and takes it back for a longer backoff each time', async () => {
    let sick = true;
    const addresses = await cluster({ b: () => sick });
    const c = client();

    // Round-robin over three: b sees every third call, so 15 calls give it 5 failures in a row.
    const first = await calls(c, 15);
    expect(first.failed).toBe(5);
    expect(view(c, addresses.b)?.ejected).toBe(true);
    expect(c.endpoints('Fixture').filter((e) => e.ejected)).toHaveLength(1);
    const ejectedAt = performance.now();

    // Calls while it is ejected go elsewhere. Ejection ends by the clock, and a busy machine may
    // run fewer calls than planned inside it, so only calls that began and ended with b still
    // ejected count (then b was ejected when they were routed: only failures of b re-eject it).
    const during: string[] = [];
    let duringFailed = 0;
    while (during.length + duringFailed < 60 && view(c, addresses.b)?.ejected === true) {
      const one = await calls(c, 1);
      if (view(c, addresses.b)?.ejected !== true) break;
      during.push(...one.labels);
      duringFailed += one.failed;
    }
    expect(duringFailed).toBe(0);
    expect(during.length).toBeGreaterThanOrEqual(MIN_CALLS_WHILE_EJECTED);
    expect(new Set(during)).toEqual(new Set(['a', 'c']));

    await waitFor(() => view(c, addresses.b)?.ejected === false, 2 * BASE_EJECTION_MS, 'the first ejection to end');
    const firstEjectionMs = performance.now() - ejectedAt;

    // Still failing: five more failures in a row eject it again, for twice as long.
    const again = await calls(c, 15);
    expect(again.failed).toBe(5);
    expect(view(c, addresses.b)?.ejected).toBe(true);
    const ejectedAgainAt = performance.now();
    await waitFor(() => view(c, addresses.b)?.ejected === false, 4 * BASE_EJECTION_MS, 'the second ejection to end');
    const secondEjectionMs = performance.now() - ejectedAgainAt;
    expect(firstEjectionMs).toBeGreaterThanOrEqual(BASE_EJECTION_MS * 0.9);
    expect(secondEjectionMs).toBeGreaterThanOrEqual(2 * BASE_EJECTION_MS * 0.9);

    // Healed: once its ejection is over it is picked again, and serves.
    sick = false;
    const after = await calls(c, 30);
    expect(after.failed).toBe(0);
    expect(after.labels.filter((l) => l === 'b')).toHaveLength(10);
  });

  it('never ejects more than half of the instances, even when all of them fail', async () => {
    await cluster({ a: () => true, b: () => true, c: () => true });
    const c = client();
    const seen: number[] = [];
    for (let round = 0; round < 10; round++) {
      await calls(c, 15);
      seen.push(c.endpoints('Fixture').filter((e) => e.ejected).length);
      await sleep(20);
    }
    // Three endpoints at 50%: one may be out, never two.
    expect(Math.max(...seen)).toBe(1);
  });
});
