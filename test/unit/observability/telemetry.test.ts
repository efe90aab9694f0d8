import { RETRY_ATTEMPT_METADATA_KEY, RivetConfigError } from '../../../src';
import { ATTEMPT_METADATA_KEY, telemetryHooksOf, telemetryInterceptors } from '../../../src/observability';
import { attemptOf, splitAddress, statusOf } from '../../../src/observability/semconv';
import { createCallContext } from '../../../src/call';
import { RpcError } from '../../../src/errors';

describe('telemetryInterceptors', () => {
  it('makes tracing, metrics and access log, outermost first, for true', () => {
    const list = telemetryInterceptors(true, 'opts.telemetry');
    expect(list).toHaveLength(3);
    expect(typeof list[0].interceptAttempt).toBe('function');
    expect(telemetryHooksOf(list[1])?.breakerChanged).toBeDefined();
    expect(telemetryHooksOf(list[2])?.useLogger).toBeDefined();
  });

  it('leaves out what is set to false, and makes nothing for false', () => {
    expect(telemetryInterceptors({ tracing: false, accessLog: false }, 'o')).toHaveLength(1);
    expect(telemetryInterceptors(false, 'o')).toEqual([]);
    expect(telemetryInterceptors(undefined, 'o')).toEqual([]);
  });

  it('rejects bad values, naming the option', () => {
    expect(() => telemetryInterceptors('yes', 'createApp options.telemetry')).toThrow(RivetConfigError);
    expect(() => telemetryInterceptors({ tracer: true }, 'createApp options.telemetry')).toThrow(/createApp options.telemetry: unknown key 'tracer'; did you mean 'tracing'/);
    expect(() => telemetryInterceptors({ accessLog: { sample: -1 } }, 'createApp options.telemetry')).toThrow(/createApp options.telemetry.accessLog.sample/);
  });
});

describe('semantic helpers', () => {
  it('reads the attempt from the key the retry stage writes', () => {
    expect(ATTEMPT_METADATA_KEY).toBe(RETRY_ATTEMPT_METADATA_KEY);
    const md = (m: Record<string, string>) => createCallContext('client', 'S', 'm', [], m, undefined, new AbortController().signal, undefined);
    expect(attemptOf(md({}))).toBe(1);
    expect(attemptOf(md({ [RETRY_ATTEMPT_METADATA_KEY]: '3' }))).toBe(3);
    expect(attemptOf(md({ 'rivet-hedge': '2' }))).toBe(2);
  });

  it('splits IPv4, IPv6 and name addresses', () => {
    expect(splitAddress('127.0.0.1:4000')).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(splitAddress('[::1]:4000')).toEqual({ host: '::1', port: 4000 });
    expect(splitAddress('orders.local:80')).toEqual({ host: 'orders.local', port: 80 });
    expect(splitAddress('unknown')).toEqual({ host: 'unknown', port: undefined });
  });

  it('names the status of anything thrown', () => {
    expect(statusOf(new RpcError('NOT_FOUND', 'x'))).toBe('NOT_FOUND');
    expect(statusOf(new Error('x'))).toBe('UNKNOWN');
  });
});
