import { DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_CAP, resolveClientPolicy } from '../../../src/client';
import { RivetConfigError } from '../../../src/errors';

function configError(fn: () => unknown): RivetConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RivetConfigError);
    return err as RivetConfigError;
  }
  throw new Error('expected a RivetConfigError, but nothing was thrown');
}

describe('resolveClientPolicy', () => {
  it('fills in the defaults: 3 attempts, the p2c-ewma balancer, no timeout, no interceptors', () => {
    expect(DEFAULT_MAX_ATTEMPTS).toBe(3);
    expect(MAX_ATTEMPTS_CAP).toBe(10);
    expect(resolveClientPolicy(undefined)).toEqual({ timeoutMs: undefined, interceptors: [], methods: {}, balancer: 'p2c-ewma', maxAttempts: 3 });
    expect(resolveClientPolicy({}).maxAttempts).toBe(3);
  });

  it('makes one attempt when retry is false', () => {
    expect(resolveClientPolicy({ retry: false }).maxAttempts).toBe(1);
  });

  it('keeps maxAttempts from 1 to 10', () => {
    expect(resolveClientPolicy({ retry: { maxAttempts: 1 } }).maxAttempts).toBe(1);
    expect(resolveClientPolicy({ retry: { maxAttempts: 10 } }).maxAttempts).toBe(10);
    expect(resolveClientPolicy({ retry: {} }).maxAttempts).toBe(3);
  });

  it('rejects maxAttempts 0 and -1, naming the option and the default', () => {
    for (const n of [0, -1]) {
      const err = configError(() => resolveClientPolicy({ retry: { maxAttempts: n } }));
      expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
      expect(err.message).toBe(
        `RIVET_ERR_INVALID_OPTION: ClientPolicy.retry.maxAttempts must be a positive integer, got ${n}. Leave it out to use the default (3).`,
      );
    }
  });

  it('rejects maxAttempts 11, naming the option and the cap', () => {
    const err = configError(() => resolveClientPolicy({ retry: { maxAttempts: 11 } }));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toBe(
      'RIVET_ERR_INVALID_OPTION: ClientPolicy.retry.maxAttempts must be at most 10, got 11. More attempts only multiply load on a struggling service.',
    );
  });

  it('names the option with the prefix it is given', () => {
    expect(configError(() => resolveClientPolicy({ retry: { maxAttempts: 0 } }, '@RemoteService(Users) policy')).message).toContain(
      '@RemoteService(Users) policy.retry.maxAttempts must be a positive integer',
    );
  });

  it('rejects unknown keys with a suggestion, at every level', () => {
    expect(configError(() => resolveClientPolicy({ timeout: 5 })).message).toBe(
      "RIVET_ERR_UNKNOWN_OPTION: ClientPolicy: unknown key 'timeout'; did you mean 'timeoutMs'?",
    );
    expect(configError(() => resolveClientPolicy({ retry: { maxAttempt: 2 } })).message).toBe(
      "RIVET_ERR_UNKNOWN_OPTION: ClientPolicy.retry: unknown key 'maxAttempt'; did you mean 'maxAttempts'?",
    );
    expect(configError(() => resolveClientPolicy({ methods: { add: { idempotant: true } } })).message).toBe(
      "RIVET_ERR_UNKNOWN_OPTION: ClientPolicy.methods.add: unknown key 'idempotant'; did you mean 'idempotent'?",
    );
  });

  it('rejects a balancer that is not a built-in name, a consistentHash spec or an object with pick', () => {
    for (const [balancer, got] of [
      [42, 'got 42.'],
      ['fastest', 'got "fastest".'],
      [{}, 'got an object with keys [].'],
    ] as const) {
      const err = configError(() => resolveClientPolicy({ balancer }));
      expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
      expect(err.message.startsWith("RIVET_ERR_INVALID_OPTION: ClientPolicy.balancer must be one of 'p2c-ewma', 'round-robin'")).toBe(true);
      expect(err.message.endsWith(got)).toBe(true);
    }
    expect(configError(() => resolveClientPolicy({ balancer: 'roundRobin' })).message.endsWith(`got "roundRobin"; did you mean 'round-robin'?`)).toBe(true);
  });

  it('accepts the built-in balancer names and a custom balancer object', () => {
    for (const name of ['p2c-ewma', 'round-robin', 'random', 'weighted', 'least-active'] as const) {
      expect(resolveClientPolicy({ balancer: name }).balancer).toBe(name);
    }
    const balancer = { pick: () => undefined };
    expect(resolveClientPolicy({ balancer }).balancer).toBe(balancer);
  });

  it('rejects a bad timeout and bad method overrides', () => {
    expect(configError(() => resolveClientPolicy({ timeoutMs: 0 })).message).toBe(
      'RIVET_ERR_INVALID_OPTION: ClientPolicy.timeoutMs must be a number of milliseconds > 0 and <= 2147483647, got 0.',
    );
    expect(configError(() => resolveClientPolicy({ methods: { add: { idempotent: 'yes' } } })).message).toBe(
      'RIVET_ERR_INVALID_OPTION: ClientPolicy.methods.add.idempotent must be true or false, got "yes".',
    );
    expect(configError(() => resolveClientPolicy({ interceptors: [null] })).code).toBe('RIVET_ERR_INTERCEPTOR');
    expect(configError(() => resolveClientPolicy('fast')).message).toBe('RIVET_ERR_INVALID_OPTION: ClientPolicy must be an object, got "fast".');
  });

  it('returns a frozen policy with frozen parts', () => {
    const log = async (_ctx: unknown, next: () => Promise<unknown>) => next();
    const policy = resolveClientPolicy({ timeoutMs: 250, interceptors: [log], methods: { add: { idempotent: true, timeoutMs: 100 } } });
    expect(policy).toEqual({
      timeoutMs: 250,
      interceptors: [log],
      methods: { add: { idempotent: true, timeoutMs: 100 } },
      balancer: 'p2c-ewma',
      maxAttempts: 3,
    });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.interceptors)).toBe(true);
    expect(Object.isFrozen(policy.methods)).toBe(true);
    expect(Object.isFrozen(policy.methods.add)).toBe(true);
  });
});
