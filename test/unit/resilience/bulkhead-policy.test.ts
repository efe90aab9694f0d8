import { resolveBulkheadPolicy } from '../../../src/resilience';
import { configError } from './support';

describe('resolveBulkheadPolicy', () => {
  it('fills maxQueue and freezes', () => {
    const p = resolveBulkheadPolicy({ maxConcurrent: 8 });
    expect(p).toEqual({ maxConcurrent: 8, maxQueue: 0 });
    expect(Object.isFrozen(p)).toBe(true);
  });

  it.each([
    [undefined, 'BulkheadPolicy needs maxConcurrent'],
    [{}, 'BulkheadPolicy.maxConcurrent is required'],
    [{ maxConcurrent: 0 }, 'BulkheadPolicy.maxConcurrent must be an integer >= 1 (calls in flight at once), got 0'],
    [{ maxConcurrent: 2.5 }, 'got 2.5'],
    [{ maxConcurrent: 1, maxQueue: -1 }, 'BulkheadPolicy.maxQueue must be an integer >= 0, got -1'],
  ])('rejects %j: %s', (input, message) => {
    const err = configError(() => resolveBulkheadPolicy(input));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toContain(message);
  });

  it('rejects unknown keys', () => {
    expect(configError(() => resolveBulkheadPolicy({ maxConcurrent: 1, queue: 3 })).code).toBe('RIVET_ERR_UNKNOWN_OPTION');
  });
});
