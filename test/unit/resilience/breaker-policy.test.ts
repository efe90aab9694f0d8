import { resolveBreakerPolicy } from '../../../src/resilience';
import { configError } from './support';

describe('resolveBreakerPolicy', () => {
  it('fills the defaults and freezes', () => {
    const p = resolveBreakerPolicy();
    expect(p).toEqual({ errorThresholdPercentage: 50, volumeThreshold: 20, rollingCountTimeoutMs: 10_000, resetTimeoutMs: 5_000 });
    expect(Object.isFrozen(p)).toBe(true);
  });

  it.each([
    [{ errorThresholdPercentage: 0 }, 'BreakerPolicy.errorThresholdPercentage must be a number > 0 and < 100'],
    [{ errorThresholdPercentage: 100 }, 'at 100 it could never open'],
    [{ errorThresholdPercentage: '50' }, 'got "50"'],
    [{ volumeThreshold: -1 }, 'BreakerPolicy.volumeThreshold must be an integer >= 0, got -1'],
    [{ volumeThreshold: 1.5 }, 'volumeThreshold must be an integer >= 0'],
    [{ rollingCountTimeoutMs: 0 }, 'BreakerPolicy.rollingCountTimeoutMs must be a number of milliseconds > 0'],
    [{ rollingCountTimeoutMs: 5 }, 'rollingCountTimeoutMs must be a whole number of milliseconds >= 10, got 5'],
    [{ rollingCountTimeoutMs: 100.5 }, 'whole number of milliseconds'],
    [{ resetTimeoutMs: -1 }, 'BreakerPolicy.resetTimeoutMs must be a number of milliseconds > 0'],
  ])('rejects %j: %s', (input, message) => {
    const err = configError(() => resolveBreakerPolicy(input));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toContain(message);
  });

  it('rejects unknown keys (opossum names are not Rivet names)', () => {
    const err = configError(() => resolveBreakerPolicy({ resetTimeout: 100 }));
    expect(err.code).toBe('RIVET_ERR_UNKNOWN_OPTION');
    expect(err.message).toContain("did you mean 'resetTimeoutMs'?");
  });
});
