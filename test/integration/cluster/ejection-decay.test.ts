import type { Client } from '../../../src';
import { prefer } from '../../fixtures/resilience/support';
import { failWhile, labelledService } from '../../fixtures/cluster/labelled-service';
import { Harness, waitFor } from '../../helpers/apps';
import { logSink } from '../../helpers/log-sink';

// Outlier ejection backoff decays: each ejection of an endpoint lasts longer than the last, but
// after it has been neither ejected nor failing for 10 x baseEjectionMs, its next ejection lasts
// baseEjectionMs again.

// Long enough that a stalled event loop (a busy machine) cannot pass for a quiet 10 x base between
// two ejections that follow each other at once.
const BASE_EJECTION_MS = 200;

describe('outlier ejection backoff', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('doubles while an endpoint keeps failing, and is back to baseEjectionMs after a quiet 10 x baseEjectionMs', async () => {
    const sick = await h.serve({ services: [labelledService('sick')], interceptors: [failWhile(() => true)] });
    await h.serve({ services: [labelledService('well')] });
    const { logger, lines } = logSink();
    const client = h.client({
      logger,
      policy: {
        retry: false,
        breaker: false,
        balancer: prefer(() => sick.address),
        outlierDetection: { consecutiveFailures: 2, baseEjectionMs: BASE_EJECTION_MS, maxEjectionMs: 10_000 },
      },
    });
    const ejections = (): number[] => lines.filter((l) => l.msg === 'ejecting endpoint: consecutive failures').map((l) => l.forMs as number);
    const ejected = (c: Client): boolean => c.endpoints('Fixture').find((e) => e.address === sick.address)?.ejected === true;

    /** Calls until the sick endpoint is ejected once more, then waits until it is back. */
    async function ejectOnce(): Promise<void> {
      const before = ejections().length;
      for (let i = 0; i < 10 && ejections().length === before; i++) await client.invoke('Fixture', 'whoami').catch(() => undefined);
      expect(ejections()).toHaveLength(before + 1);
      await waitFor(() => !ejected(client), 5_000, 'the ejection to end');
    }

    await ejectOnce();
    await ejectOnce();
    expect(ejections()).toEqual([BASE_EJECTION_MS, 2 * BASE_EJECTION_MS]);
    // Quiet: neither ejected nor failing, for more than 10 x baseEjectionMs (timers never fire early).
    await new Promise((r) => setTimeout(r, 10 * BASE_EJECTION_MS + 50));
    await ejectOnce();
    expect(ejections()).toEqual([BASE_EJECTION_MS, 2 * BASE_EJECTION_MS, BASE_EJECTION_MS]);
  });
});
