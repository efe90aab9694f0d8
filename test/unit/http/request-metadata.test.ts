import { isRpcError } from '../../../src';
import { metadataFromHeaders, timeoutFromHeaders } from '../../../src/http';

describe('gateway headers', () => {
  it('passes only Authorization, trace context and Rivet-Meta-* headers, lower-cased', () => {
    expect(
      metadataFromHeaders({
        authorization: 'Bearer t',
        traceparent: 'tp',
        tracestate: 'ts',
        baggage: 'b',
        'rivet-meta-tenant': 'acme',
        'rivet-meta-': 'empty key',
        'x-forwarded-for': '1.2.3.4',
        cookie: 'c=1',
        host: 'h',
      }),
    ).toEqual({ authorization: 'Bearer t', traceparent: 'tp', tracestate: 'ts', baggage: 'b', tenant: 'acme' });
  });

  it('joins repeated headers', () => {
    expect(metadataFromHeaders({ 'rivet-meta-tag': ['a', 'b'] })).toEqual({ tag: 'a, b' });
  });

  it('reads Rivet-Timeout-Ms, or the default', () => {
    expect(timeoutFromHeaders({ 'rivet-timeout-ms': '250' }, 10_000)).toBe(250);
    expect(timeoutFromHeaders({}, 10_000)).toBe(10_000);
  });

  it.each(['0', '-1', '1.5', 'abc', '', '12345678901'])('rejects Rivet-Timeout-Ms %p with INVALID_ARGUMENT', (v) => {
    let thrown: unknown;
    try {
      timeoutFromHeaders({ 'rivet-timeout-ms': v }, 10_000);
    } catch (err) {
      thrown = err;
    }
    expect(isRpcError(thrown) && thrown.code).toBe('INVALID_ARGUMENT');
  });
});
