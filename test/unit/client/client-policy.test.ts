import { checkClientPolicy } from '../../../src/client/client-policy';
import { resolveMethodPolicy, resolveTargetPolicy } from '../../../src/client/method-policy';
import type { ServiceContract } from '../../../src/client/remote';
import { configError } from '../../helpers/config-error';

const contract: ServiceContract = {
  name: 'Inventory',
  policy: { retry: { maxAttempts: 4, initialBackoffMs: 10 }, timeoutMs: 5_000 },
  methods: {
    get: { idempotent: true, timeoutMs: 800, policy: { retry: { maxAttempts: 5 } } },
    reserve: { idempotent: false },
  },
};

describe('checkClientPolicy', () => {
  it('accepts an empty policy and every documented key', () => {
    expect(checkClientPolicy({})).toEqual({});
    const full = {
      timeoutMs: 100,
      interceptors: [async (_ctx: unknown, next: () => Promise<unknown>) => next()],
      methods: { get: { timeoutMs: 50, idempotent: true, retry: { maxAttempts: 2 }, hedge: { delayMs: 10 }, fallback: () => 1 } },
      balancer: 'round-robin',
      retry: { maxAttempts: 2 },
      breaker: { volumeThreshold: 5 },
      hedge: false,
      bulkhead: { maxConcurrent: 4 },
      fallback: () => 0,
    };
    expect(checkClientPolicy(full)).toBe(full);
  });

  it('rejects unknown keys with a suggestion, at every level', () => {
    expect(configError(() => checkClientPolicy({ timeout: 5 })).message).toMatch(/unknown key 'timeout'; did you mean 'timeoutMs'\?/);
    expect(configError(() => checkClientPolicy({ methods: { get: { idempotnt: true } } })).message).toMatch(/ClientPolicy\.methods\.get: unknown key 'idempotnt'; did you mean 'idempotent'\?/);
    expect(configError(() => checkClientPolicy({ retry: { maxAttempt: 2 } })).message).toMatch(/did you mean 'maxAttempts'/);
  });

  it('rejects maxAttempts 0 and 11, naming the option', () => {
    expect(configError(() => checkClientPolicy({ retry: { maxAttempts: 0 } })).message).toMatch(/ClientPolicy\.retry\.maxAttempts must be an integer from 1 to 10/);
    expect(configError(() => checkClientPolicy({ retry: { maxAttempts: 11 } })).message).toMatch(/ClientPolicy\.retry\.maxAttempts/);
  });

  it('rejects a negative backoff, an unknown retryOn code and a business code in retryOn', () => {
    expect(configError(() => checkClientPolicy({ retry: { initialBackoffMs: -1 } })).message).toMatch(/initialBackoffMs/);
    expect(configError(() => checkClientPolicy({ retry: { retryOn: ['NOPE'] } })).message).toMatch(/retryOn/);
    expect(configError(() => checkClientPolicy({ retry: { retryOn: ['NOT_FOUND'] } })).message).toMatch(/NOT_FOUND/);
  });

  it('rejects an unknown balancer name with the valid forms', () => {
    expect(configError(() => checkClientPolicy({ balancer: 'fastest' })).message).toMatch(/round-robin/);
  });

  it('rejects a bad timeout, a bad bulkhead and a fallback that is not a function', () => {
    expect(configError(() => checkClientPolicy({ timeoutMs: -5 })).message).toMatch(/ClientPolicy\.timeoutMs/);
    expect(configError(() => checkClientPolicy({ bulkhead: { maxConcurrent: 0 } })).message).toMatch(/maxConcurrent/);
    expect(configError(() => checkClientPolicy({ fallback: 'nope' })).message).toMatch(/ClientPolicy\.fallback must be a function/);
  });
});

describe('resolveMethodPolicy', () => {
  it('defaults to 3 attempts, a 10 s deadline, no hedging and no fallback', () => {
    const p = resolveMethodPolicy('Svc', 'm', undefined, {}, {});
    expect(p.retry.maxAttempts).toBe(3);
    expect(p.timeoutMs).toBe(10_000);
    expect(p.hedge).toBe(false);
    expect(p.fallback).toBeUndefined();
    expect(p.idempotentKnown).toBe(false);
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('lets the more specific layer win: class < method decorator < proxy < proxy method', () => {
    expect(resolveMethodPolicy('Inventory', 'reserve', contract, {}, {}).retry.maxAttempts).toBe(4);
    expect(resolveMethodPolicy('Inventory', 'get', contract, {}, {}).retry.maxAttempts).toBe(5);
    expect(resolveMethodPolicy('Inventory', 'get', contract, {}, { retry: { maxAttempts: 2 } }).retry.maxAttempts).toBe(2);
    expect(resolveMethodPolicy('Inventory', 'get', contract, {}, { retry: { maxAttempts: 2 }, methods: { get: { retry: { maxAttempts: 6 } } } }).retry.maxAttempts).toBe(6);
    // Keys merge: the class's initialBackoffMs survives a method layer that sets only maxAttempts.
    expect(resolveMethodPolicy('Inventory', 'get', contract, {}, {}).retry.initialBackoffMs).toBe(10);
  });

  it('turns retries off with false at any layer, and on again below it', () => {
    expect(resolveMethodPolicy('Inventory', 'get', contract, {}, { retry: false }).retry.maxAttempts).toBe(1);
    expect(resolveMethodPolicy('Inventory', 'get', contract, { retry: false }, {}).retry.maxAttempts).toBe(5);
  });

  it('takes the tightest timeout from every layer', () => {
    expect(resolveMethodPolicy('Inventory', 'get', contract, {}, {}).timeoutMs).toBe(800);
    expect(resolveMethodPolicy('Inventory', 'reserve', contract, {}, {}).timeoutMs).toBe(5_000);
    expect(resolveMethodPolicy('Inventory', 'reserve', contract, {}, { timeoutMs: 300 }).timeoutMs).toBe(300);
    expect(resolveMethodPolicy('Inventory', 'get', contract, { timeoutMs: 100 }, { timeoutMs: 300 }).timeoutMs).toBe(100);
  });

  it('refuses a hedge set on a method that is not idempotent, naming the method', () => {
    expect(configError(() => resolveMethodPolicy('Inventory', 'reserve', contract, {}, { methods: { reserve: { hedge: { delayMs: 20 } } } })).message).toMatch(
      /Inventory\.reserve: hedging .* only allowed on idempotent methods, and Inventory\.reserve is not idempotent/,
    );
  });

  it('leaves a method that is not idempotent unhedged under a target-wide hedge, as retries do', () => {
    expect(resolveMethodPolicy('Inventory', 'reserve', contract, {}, { hedge: { delayMs: 20 } }).hedge).toBe(false);
    expect(resolveMethodPolicy('Inventory', 'reserve', contract, { hedge: { delayMs: 20 } }, {}).hedge).toBe(false);
    const ok = resolveMethodPolicy('Inventory', 'get', contract, {}, { hedge: { delayMs: 20 } });
    expect(ok.hedge).toEqual({ delayMs: 20, maxAttempts: 2 });
  });
});

describe('resolveTargetPolicy', () => {
  it('keeps breakers on by default and off when any later layer says false', () => {
    expect(resolveTargetPolicy('S', undefined, {}, {}).breaker).toMatchObject({ volumeThreshold: 20, errorThresholdPercentage: 50 });
    expect(resolveTargetPolicy('S', undefined, {}, { breaker: false }).breaker).toBe(false);
    expect(resolveTargetPolicy('S', undefined, {}, { breaker: { volumeThreshold: 3 } }).breaker).toMatchObject({ volumeThreshold: 3 });
  });

  it('has no bulkhead unless one is set', () => {
    expect(resolveTargetPolicy('S', undefined, {}, {}).bulkhead).toBeUndefined();
    expect(resolveTargetPolicy('S', undefined, {}, { bulkhead: { maxConcurrent: 2 } }).bulkhead).toMatchObject({ maxConcurrent: 2 });
  });
});
