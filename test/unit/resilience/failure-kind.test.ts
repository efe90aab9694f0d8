import { RPC_CODES, RpcError } from '../../../src/errors';
import { BUSINESS_CODES, countsAgainstEndpoint, ENDPOINT_FAILURE_CODES, failureKind, isBusinessCode, RETRYABLE_CODES } from '../../../src/resilience';

describe('failure-kind', () => {
  it('counts exactly UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN and RESOURCE_EXHAUSTED against an endpoint', () => {
    const counted = RPC_CODES.filter((code) => countsAgainstEndpoint(new RpcError(code, 'x')));
    expect(counted.sort()).toEqual(['DEADLINE_EXCEEDED', 'INTERNAL', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'UNKNOWN']);
    expect([...ENDPOINT_FAILURE_CODES].sort()).toEqual(counted);
  });

  it('counts a non-RpcError (an UNKNOWN), but not failures that are not the endpoint’s fault', () => {
    expect(countsAgainstEndpoint(new Error('bug'))).toBe(true);
    expect(countsAgainstEndpoint(undefined)).toBe(true);
    for (const reason of ['SERVER_DRAINING', 'CLIENT_CLOSED', 'FRAME_TOO_LARGE']) {
      expect(countsAgainstEndpoint(new RpcError(reason === 'FRAME_TOO_LARGE' ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE', 'x', { reason }))).toBe(false);
    }
    expect(countsAgainstEndpoint(new RpcError('UNAVAILABLE', 'x', { reason: 'CONNECTION_LOST' }))).toBe(true);
  });

  it('keeps business, endpoint-failure and retryable codes disjoint where they must be', () => {
    for (const code of BUSINESS_CODES) {
      expect(isBusinessCode(code)).toBe(true);
      expect(ENDPOINT_FAILURE_CODES).not.toContain(code);
      expect(RETRYABLE_CODES).not.toContain(code);
    }
    expect(RPC_CODES.filter(isBusinessCode)).toHaveLength(8);
  });

  it('classifies failures for retrying', () => {
    expect(failureKind(new RpcError('NOT_FOUND', 'x', undefined, { notProcessed: true }))).toBe('business');
    expect(failureKind(new RpcError('CANCELLED', 'x'))).toBe('cancelled');
    expect(failureKind(new RpcError('UNAVAILABLE', 'x', { reason: 'NO_INSTANCES' }, { notProcessed: true }))).toBe('hopeless');
    expect(failureKind(new RpcError('UNAVAILABLE', 'x', { reason: 'CONNECT_FAILED' }, { notProcessed: true }))).toBe('notProcessed');
    expect(failureKind(new RpcError('UNAVAILABLE', 'x', { reason: 'CONNECTION_LOST' }))).toBe('processed');
    expect(failureKind('a string')).toBe('processed');
  });
});
