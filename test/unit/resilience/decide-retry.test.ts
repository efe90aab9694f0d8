import { RPC_CODES, RpcError, type RpcCode, type StoppedBy } from '../../../src/errors';
import { decideRetry, resolveRetryPolicy, retryAfterMsOf, ResilienceReason } from '../../../src/resilience';

const policy = resolveRetryPolicy({ maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1_000 });
const HALF = (): number => 0.5;

const BUSINESS: RpcCode[] = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'FAILED_PRECONDITION',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
];
const IDEMPOTENT_DEFAULT: RpcCode[] = ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED'];

/** The contract, written out independently of the implementation: 'retry' or why it stops. */
function expected(code: RpcCode, idempotent: boolean, notProcessed: boolean): 'retry' | StoppedBy {
  if (BUSINESS.includes(code) || code === 'CANCELLED') return 'notRetryable';
  if (notProcessed) return 'retry';
  if (!idempotent) return 'notIdempotent';
  return IDEMPOTENT_DEFAULT.includes(code) ? 'retry' : 'notRetryable';
}

function outcome(code: RpcCode, idempotent: boolean, notProcessed: boolean): 'retry' | StoppedBy {
  const err = new RpcError(code, 'boom', undefined, { notProcessed });
  const d = decideRetry(1, policy, err, idempotent, undefined, HALF);
  return d.retry ? 'retry' : d.stoppedBy;
}

describe('decideRetry', () => {
  const rows = RPC_CODES.flatMap((code) => [false, true].flatMap((idempotent) => [false, true].map((notProcessed) => [code, idempotent, notProcessed] as const)));

  it('covers every code × idempotent × notProcessed', () => {
    expect(rows).toHaveLength(16 * 2 * 2);
  });

  it.each(rows)('%s (idempotent %s, notProcessed %s) follows the decision table', (code, idempotent, notProcessed) => {
    expect(outcome(code, idempotent, notProcessed)).toBe(expected(code, idempotent, notProcessed));
  });

  it('never retries a business code, even when retryOn could be forced to list it', () => {
    const forced = { ...resolveRetryPolicy({}), retryOn: ['NOT_FOUND'] as RpcCode[] };
    for (const code of BUSINESS) {
      const d = decideRetry(1, forced, new RpcError(code, 'no'), true, undefined);
      expect(d).toEqual({ retry: false, stoppedBy: 'notRetryable' });
    }
  });

  it('retries only the retryOn codes of an idempotent method when the policy lists them', () => {
    const onlyAborted = resolveRetryPolicy({ retryOn: ['ABORTED', 'INTERNAL'] });
    expect(decideRetry(1, onlyAborted, new RpcError('ABORTED', 'x'), true, undefined).retry).toBe(true);
    expect(decideRetry(1, onlyAborted, new RpcError('INTERNAL', 'x'), true, undefined).retry).toBe(true);
    expect(decideRetry(1, onlyAborted, new RpcError('UNAVAILABLE', 'x'), true, undefined)).toEqual({ retry: false, stoppedBy: 'notRetryable' });
    // Not processed: retried whatever retryOn says.
    expect(decideRetry(1, onlyAborted, new RpcError('UNAVAILABLE', 'x', undefined, { notProcessed: true }), false, undefined).retry).toBe(true);
  });

  it('treats a non-RpcError as a processed UNKNOWN', () => {
    expect(decideRetry(1, policy, new Error('bug'), true, undefined)).toEqual({ retry: false, stoppedBy: 'notRetryable' });
    expect(decideRetry(1, policy, new Error('bug'), false, undefined)).toEqual({ retry: false, stoppedBy: 'notIdempotent' });
    const withUnknown = resolveRetryPolicy({ retryOn: ['UNKNOWN'] });
    expect(decideRetry(1, withUnknown, new Error('bug'), true, undefined).retry).toBe(true);
  });

  it('does not retry when nothing can answer (no instances, client closed)', () => {
    for (const reason of ['NO_INSTANCES', 'NO_READY_ENDPOINT', 'CLIENT_CLOSED']) {
      const err = new RpcError('UNAVAILABLE', 'x', { reason }, { notProcessed: true });
      expect(decideRetry(1, policy, err, true, undefined)).toEqual({ retry: false, stoppedBy: 'notRetryable' });
    }
  });

  it('stops with maxAttempts on the last attempt', () => {
    const err = new RpcError('UNAVAILABLE', 'x', undefined, { notProcessed: true });
    expect(decideRetry(2, policy, err, false, undefined).retry).toBe(true);
    expect(decideRetry(3, policy, err, false, undefined)).toEqual({ retry: false, stoppedBy: 'maxAttempts' });
  });

  it('says breaker or bulkhead when an open breaker or a full bulkhead refused the last attempt', () => {
    const open = new RpcError('UNAVAILABLE', 'x', { reason: 'BREAKER_OPEN', breaker: 'open' }, { notProcessed: true });
    const full = new RpcError('RESOURCE_EXHAUSTED', 'x', { reason: ResilienceReason.BULKHEAD_FULL }, { notProcessed: true });
    expect(decideRetry(3, policy, open, false, undefined)).toEqual({ retry: false, stoppedBy: 'breaker' });
    expect(decideRetry(3, policy, full, false, undefined)).toEqual({ retry: false, stoppedBy: 'bulkhead' });
  });

  it('uses full jitter over the backoff cap of the retry number', () => {
    const err = new RpcError('UNAVAILABLE', 'x', undefined, { notProcessed: true });
    expect(decideRetry(1, policy, err, false, undefined, HALF)).toEqual({ retry: true, delayMs: 50 }); // cap 100
    expect(decideRetry(2, policy, err, false, undefined, HALF)).toEqual({ retry: true, delayMs: 100 }); // cap 200
    expect(decideRetry(1, policy, err, false, undefined, () => 0)).toEqual({ retry: true, delayMs: 0 });
  });

  it('retries a draining server refusal at once, elsewhere', () => {
    const err = new RpcError('UNAVAILABLE', 'draining', { reason: 'SERVER_DRAINING' }, { notProcessed: true });
    expect(decideRetry(1, policy, err, false, 1_000, () => 0.99)).toEqual({ retry: true, delayMs: 0 });
  });

  describe('deadline', () => {
    const err = new RpcError('UNAVAILABLE', 'x', undefined, { notProcessed: true });

    it('refuses a retry whose backoff would not end before the deadline', () => {
      // delay 50 ms (cap 100, random 0.5); 50 ms or less left is not enough.
      expect(decideRetry(1, policy, err, false, 50, HALF)).toEqual({ retry: false, stoppedBy: 'deadline' });
      expect(decideRetry(1, policy, err, false, 10, HALF)).toEqual({ retry: false, stoppedBy: 'deadline' });
      expect(decideRetry(1, policy, err, false, 51, HALF)).toEqual({ retry: true, delayMs: 50 });
    });

    it('refuses any retry once the deadline has passed', () => {
      expect(decideRetry(1, policy, err, false, 0, () => 0)).toEqual({ retry: false, stoppedBy: 'deadline' });
      expect(decideRetry(1, policy, err, false, -5, () => 0)).toEqual({ retry: false, stoppedBy: 'deadline' });
    });
  });

  describe('server pushback', () => {
    it('waits at least retryAfterMs', () => {
      const err = new RpcError('RESOURCE_EXHAUSTED', 'slow down', { reason: 'RATE_LIMITED', retryAfterMs: 700 }, { notProcessed: true });
      expect(decideRetry(1, policy, err, false, undefined, HALF)).toEqual({ retry: true, delayMs: 700 });
    });

    it('keeps the backoff when it is longer than retryAfterMs', () => {
      const err = new RpcError('UNAVAILABLE', 'x', { retryAfterMs: 1 }, { notProcessed: true });
      expect(decideRetry(2, policy, err, false, undefined, HALF)).toEqual({ retry: true, delayMs: 100 });
    });

    it('does not retry when retryAfterMs is negative', () => {
      const err = new RpcError('RESOURCE_EXHAUSTED', 'go away', { retryAfterMs: -1 }, { notProcessed: true });
      expect(decideRetry(1, policy, err, true, undefined)).toEqual({ retry: false, stoppedBy: 'notRetryable' });
    });

    it('refuses a pushback that would end past the deadline', () => {
      const err = new RpcError('UNAVAILABLE', 'x', { retryAfterMs: 2_000 }, { notProcessed: true });
      expect(decideRetry(1, policy, err, false, 1_000, HALF)).toEqual({ retry: false, stoppedBy: 'deadline' });
    });

    it('reads retryAfterMs only from RESOURCE_EXHAUSTED and UNAVAILABLE, as a finite number', () => {
      expect(retryAfterMsOf(new RpcError('RESOURCE_EXHAUSTED', 'x', { retryAfterMs: 5 }))).toBe(5);
      expect(retryAfterMsOf(new RpcError('UNAVAILABLE', 'x', { retryAfterMs: -1 }))).toBe(-1);
      expect(retryAfterMsOf(new RpcError('ABORTED', 'x', { retryAfterMs: 5 }))).toBeUndefined();
      expect(retryAfterMsOf(new RpcError('UNAVAILABLE', 'x', { retryAfterMs: '5' }))).toBeUndefined();
      expect(retryAfterMsOf(new RpcError('UNAVAILABLE', 'x', { retryAfterMs: Infinity }))).toBeUndefined();
      expect(retryAfterMsOf(new Error('x'))).toBeUndefined();
    });
  });
});
