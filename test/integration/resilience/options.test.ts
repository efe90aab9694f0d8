import {
  Bulkhead,
  CircuitBreaker,
  createApp,
  Fallback,
  Hedge,
  Method,
  RateLimit,
  RemoteService,
  Retry,
  RivetConfigError,
  Service,
  type ClientPolicy,
} from '../../../src';
import { faults } from '../../../src/testing';
import { Harness } from '../../helpers/apps';

/** The RivetConfigError `fn` throws (synchronously or as a rejection); fails when it throws nothing else. */
async function configError(fn: () => unknown): Promise<RivetConfigError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof RivetConfigError)) throw new Error(`expected a RivetConfigError, got ${String(thrown)}`);
  return thrown;
}

describe('bad resilience options fail when the proxy, client or app is made, naming the option', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it.each<[string, ClientPolicy, string, string]>([
    ['maxAttempts above the cap', { retry: { maxAttempts: 11 } }, 'RIVET_ERR_INVALID_OPTION', 'retry.maxAttempts'],
    ['a typo', { retry: { maxAtempts: 3 } as never }, 'RIVET_ERR_UNKNOWN_OPTION', "did you mean 'maxAttempts'"],
    ['a business code in retryOn', { retry: { retryOn: ['NOT_FOUND'] } }, 'RIVET_ERR_INVALID_OPTION', 'retry.retryOn'],
    ['a budget ratio above 1', { retry: { budget: { ratio: 2 } } }, 'RIVET_ERR_INVALID_OPTION', 'retry.budget.ratio'],
    ['a breaker threshold of 100%', { breaker: { errorThresholdPercentage: 100 } }, 'RIVET_ERR_INVALID_OPTION', 'breaker.errorThresholdPercentage'],
    ['a negative reset timeout', { breaker: { resetTimeoutMs: -1 } }, 'RIVET_ERR_INVALID_OPTION', 'breaker.resetTimeoutMs'],
    ['a bulkhead of 0', { bulkhead: { maxConcurrent: 0 } }, 'RIVET_ERR_INVALID_OPTION', 'bulkhead.maxConcurrent'],
    ['a negative hedge delay', { hedge: { delayMs: -5 } }, 'RIVET_ERR_INVALID_OPTION', 'hedge.delayMs'],
    ['a fallback that is not a function', { fallback: 'cached' as never }, 'RIVET_ERR_INVALID_OPTION', 'fallback'],
  ])('proxy policy with %s', async (_, policy, code, names) => {
    const client = h.client({ endpoints: { Ledger: ['127.0.0.1:1'] } });
    const err = await configError(() => client.proxy('Ledger', policy));
    expect(err.code).toBe(code);
    expect(err.message).toContain(names);
    // The same policy as the app or client default fails there.
    expect((await configError(() => h.client({ policy }))).message).toContain(names);
    expect((await configError(() => createApp({ logger: false, services: [], policy }))).message).toContain(names);
  });

  it('decorators on a contract are checked when its proxy is made', async () => {
    @Service('BadRetry')
    @Retry({ maxAttempts: 0 })
    class BadRetry {
      @Method() get(): number {
        return 1;
      }
    }
    @Service('BadBreaker')
    class BadBreaker {
      @Method()
      @CircuitBreaker({ volumeThreshold: -1 })
      get(): number {
        return 1;
      }
    }
    @Service('BadHedge')
    class BadHedge {
      @Method()
      @Hedge({ delayMs: 10 })
      notIdempotent(): number {
        return 1;
      }
    }
    @Service('BadFallback')
    class BadFallback {
      @Method()
      @Fallback('missing')
      get(): number {
        return 1;
      }
    }
    const client = h.client({ endpoints: {} });
    expect((await configError(() => client.proxy(BadRetry))).message).toContain('retry.maxAttempts');
    expect((await configError(() => client.proxy(BadBreaker))).message).toContain('@CircuitBreaker on BadBreaker.get: a circuit breaker belongs to an endpoint');
    expect((await configError(() => client.proxy(BadHedge))).message).toMatch(/BadHedge\.notIdempotent: hedging .*BadHedge\.notIdempotent is not idempotent/);
    const fb = await configError(() => client.proxy(BadFallback));
    expect(fb.code).toBe('RIVET_ERR_DECORATOR');
    expect(fb.message).toContain("@Fallback('missing')");
  });

  it('server-side @RateLimit and @Bulkhead are checked by createApp', async () => {
    @Service('BadRate')
    class BadRate {
      @Method()
      @RateLimit({ perSecond: 0 })
      get(): number {
        return 1;
      }
    }
    @Service('BadBulkhead')
    @Bulkhead({ maxConcurrent: 0 })
    class BadBulkhead {
      @Method() get(): number {
        return 1;
      }
    }
    expect((await configError(() => createApp({ logger: false, services: [BadRate] }))).message).toContain('@RateLimit on BadRate.get.perSecond');
    expect((await configError(() => createApp({ logger: false, services: [BadBulkhead] }))).message).toContain('@Bulkhead on BadBulkhead.maxConcurrent');
  });

  it('faults() checks its options when it is made', async () => {
    expect((await configError(() => faults({ failRate: 1.5 }))).message).toContain('faults options.failRate');
    expect((await configError(() => faults({ dropConnection: -0.1 }))).message).toContain('faults options.dropConnection');
    expect((await configError(() => faults({ latencyMs: -1 }))).message).toContain('faults options.latencyMs');
    expect((await configError(() => faults({ code: 'NOPE' as never }))).message).toContain('faults options.code');
    expect((await configError(() => faults({ methods: [''] }))).message).toContain('faults options.methods[0]');
    expect((await configError(() => faults({ failrate: 1 } as never))).code).toBe('RIVET_ERR_UNKNOWN_OPTION');
  });

  // Last: a @RemoteService is registered for every later createApp in this file.
  it('a bad @RemoteService policy fails createApp', async () => {
    @Service('Consumer')
    class Consumer {
      @RemoteService('Ledger', { retry: { maxAttempts: 42 } })
      ledger!: unknown;

      @Method() get(): number {
        return 1;
      }
    }
    expect((await configError(() => createApp({ logger: false, services: [Consumer] }))).message).toContain('retry.maxAttempts');
  });
});
