import { durationMs, oneOf, parseAddress, positiveInt, rejectUnknownKeys } from '../../../src/util';
import { configError } from '../../helpers/config-error';

describe('rejectUnknownKeys', () => {
  const known = ['timeoutMs', 'interceptors', 'retry'];

  it('accepts an object holding only known keys', () => {
    expect(() => rejectUnknownKeys('ClientPolicy', { timeoutMs: 5, retry: false }, known)).not.toThrow();
    expect(() => rejectUnknownKeys('ClientPolicy', {}, known)).not.toThrow();
  });

  it('suggests the nearest known key for a typo', () => {
    const err = configError(() => rejectUnknownKeys('ClientPolicy', { timeout: 5 }, known));
    expect(err.code).toBe('RIVET_ERR_UNKNOWN_OPTION');
    expect(err.message).toBe("RIVET_ERR_UNKNOWN_OPTION: ClientPolicy: unknown key 'timeout'; did you mean 'timeoutMs'?");
  });

  it('suggests the known key that an abbreviation is a prefix of', () => {
    const policyKeys = ['timeoutMs', 'interceptors', 'methods', 'balancer', 'retry'];
    expect(configError(() => rejectUnknownKeys('ClientPolicy', { bal: 'x' }, policyKeys)).message).toBe(
      "RIVET_ERR_UNKNOWN_OPTION: ClientPolicy: unknown key 'bal'; did you mean 'balancer'?",
    );
    // 'retry' is nearer to 'inter' by edit distance, but only 'interceptors' starts with it.
    const err = configError(() => rejectUnknownKeys('ClientPolicy', { inter: [] }, policyKeys));
    expect(err.message).toBe("RIVET_ERR_UNKNOWN_OPTION: ClientPolicy: unknown key 'inter'; did you mean 'interceptors'?");
  });

  it('lists the known keys when no key is near', () => {
    const err = configError(() => rejectUnknownKeys('ClientPolicy', { zzzzzzzzzz: 1 }, known));
    expect(err.message).toBe("RIVET_ERR_UNKNOWN_OPTION: ClientPolicy: unknown key 'zzzzzzzzzz'. Known keys: timeoutMs, interceptors, retry.");
  });
});

describe('positiveInt', () => {
  it('returns a positive integer', () => {
    expect(positiveInt('opt', 3)).toBe(3);
  });

  it.each([0, -1, 1.5, '3', NaN, null])('rejects %p naming the option and the default', (value) => {
    const err = configError(() => positiveInt('App.maxFrameBytes', value, 16));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toMatch(/^RIVET_ERR_INVALID_OPTION: App\.maxFrameBytes must be a positive integer, got .+\. Leave it out to use the default \(16\)\.$/);
  });

  it('says what it got', () => {
    expect(configError(() => positiveInt('n', 0, 3)).message).toBe(
      'RIVET_ERR_INVALID_OPTION: n must be a positive integer, got 0. Leave it out to use the default (3).',
    );
    expect(configError(() => positiveInt('n', '3')).message).toBe('RIVET_ERR_INVALID_OPTION: n must be a positive integer, got "3".');
  });
});

describe('durationMs', () => {
  it('returns a positive finite number of milliseconds up to the bound', () => {
    expect(durationMs('t', 1.5)).toBe(1.5);
    expect(durationMs('t', 2_147_483_647)).toBe(2_147_483_647);
  });

  it('rejects values out of range naming the option, the bound and the default', () => {
    expect(configError(() => durationMs('ClientPolicy.timeoutMs', -5, 10_000)).message).toBe(
      'RIVET_ERR_INVALID_OPTION: ClientPolicy.timeoutMs must be a number of milliseconds > 0 and <= 2147483647, got -5. Leave it out to use the default (10000).',
    );
    expect(configError(() => durationMs('t', 2_147_483_648)).code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(configError(() => durationMs('t', Infinity)).code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(configError(() => durationMs('t', 0)).code).toBe('RIVET_ERR_INVALID_OPTION');
  });

  it('applies a custom upper bound', () => {
    expect(configError(() => durationMs('t', 101, undefined, 100)).message).toBe(
      'RIVET_ERR_INVALID_OPTION: t must be a number of milliseconds > 0 and <= 100, got 101.',
    );
  });
});

describe('oneOf', () => {
  it('returns an allowed value', () => {
    expect(oneOf('codec', 'json', ['msgpack', 'json'])).toBe('json');
  });

  it('rejects anything else naming the option and the allowed values', () => {
    expect(configError(() => oneOf('createApp options.codec', 'cbor', ['msgpack', 'json'])).message).toBe(
      `RIVET_ERR_INVALID_OPTION: createApp options.codec must be one of 'msgpack', 'json', got "cbor".`,
    );
    expect(configError(() => oneOf('codec', 1, ['msgpack'])).message).toBe("RIVET_ERR_INVALID_OPTION: codec must be one of 'msgpack', got 1.");
  });
});

describe('parseAddress', () => {
  it('parses host:port', () => {
    expect(parseAddress('127.0.0.1:4000')).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(parseAddress('svc.internal:65535')).toEqual({ host: 'svc.internal', port: 65535 });
  });

  it('parses a bracketed IPv6 host', () => {
    expect(parseAddress('[::1]:4000')).toEqual({ host: '::1', port: 4000 });
    expect(parseAddress('[fe80::1%eth0]:1')).toEqual({ host: 'fe80::1%eth0', port: 1 });
  });

  it.each(['localhost', '::1:4000', 'host:0', 'host:65536', 'host:abc', ':4000', 'host:', 'ho st:80', 'host:80 ', '[::1]', '[::1]4000', ''])(
    'rejects %p with RIVET_ERR_ADDRESS',
    (address) => {
      const err = configError(() => parseAddress(address, 'endpoints.Arith[0]'));
      expect(err.code).toBe('RIVET_ERR_ADDRESS');
      expect(err.message).toBe(`RIVET_ERR_ADDRESS: endpoints.Arith[0] must be 'host:port' (e.g. '127.0.0.1:4000'), got ${JSON.stringify(address)}.`);
    },
  );
});
