import { createCallContext, type CallContext } from '../../../src/call';
import { RivetConfigError, RpcError } from '../../../src/errors';
import { toMiddleware } from '../../../src/interceptors';
import { accessLog, telemetryHooksOf } from '../../../src/observability';
import { logSink } from '../../helpers/log-sink';

function ctx(side: 'client' | 'server' = 'server', metadata: Record<string, string> = {}): CallContext {
  return createCallContext(side, 'Orders', 'place', [], metadata, undefined, new AbortController().signal, { address: '127.0.0.1:50123' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('accessLog', () => {
  it('writes one line per call with the call’s facts', async () => {
    const { logger, lines } = logSink();
    const mw = toMiddleware(accessLog({ logger }));
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await mw(async () => 'ok')(ctx('server', { traceparent, 'rivet-attempt': '2' }));
    await expect(mw(async () => Promise.reject(new RpcError('NOT_FOUND', 'x')))(ctx('client'))).rejects.toThrow();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'call',
      component: 'access',
      side: 'server',
      service: 'Orders',
      method: 'place',
      code: 'OK',
      peer: '127.0.0.1:50123',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      attempt: 2,
    });
    expect(typeof lines[0].durationMs).toBe('number');
    expect(lines[1]).toMatchObject({ side: 'client', code: 'NOT_FOUND', attempt: 1 });
    expect(lines[1].traceId).toBeUndefined();
  });

  it('writes at the chosen level, and slow calls at warn', async () => {
    const { logger, lines } = logSink('debug');
    const mw = toMiddleware(accessLog({ logger, level: 'debug', slowMs: 15 }));
    await mw(async () => 'fast')(ctx());
    await mw(() => sleep(30))(ctx());
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [20, 'call'],
      [40, 'slow call'],
    ]);
  });

  it('writes nothing when the logger’s level is above the line’s and no call is slow', async () => {
    const { logger, lines } = logSink('warn');
    const mw = toMiddleware(accessLog({ logger, slowMs: 1_000 }));
    for (let i = 0; i < 5; i++) await mw(async () => 'ok')(ctx());
    expect(lines).toHaveLength(0);
  });

  it('keeps only the sampled share of lines, but every slow one', async () => {
    const { logger, lines } = logSink();
    const none = toMiddleware(accessLog({ logger, sample: 0, slowMs: 15 }));
    for (let i = 0; i < 20; i++) await none(async () => 'ok')(ctx());
    await none(() => sleep(30))(ctx());
    expect(lines.map((l) => l.msg)).toEqual(['slow call']);
    lines.length = 0;
    const half = toMiddleware(accessLog({ logger, sample: 0.5 }));
    for (let i = 0; i < 400; i++) await half(async () => 'ok')(ctx());
    // Binomial(400, 0.5): outside 140..260 has odds below 1e-9.
    expect(lines.length).toBeGreaterThan(140);
    expect(lines.length).toBeLessThan(260);
  });

  it('writes through the first logger an app or client offers when it was given none', async () => {
    const first = logSink();
    const second = logSink();
    const log = accessLog();
    await toMiddleware(log)(async () => 'unbound')(ctx());
    telemetryHooksOf(log)!.useLogger!(first.logger);
    telemetryHooksOf(log)!.useLogger!(second.logger);
    await toMiddleware(log)(async () => 'ok')(ctx());
    expect(first.lines).toHaveLength(1);
    expect(second.lines).toHaveLength(0);
  });

  it('rejects bad options at construction, naming them', () => {
    expect(() => accessLog({ sample: 2 })).toThrow(/accessLog options.sample must be a number from 0 to 1/);
    expect(() => accessLog({ level: 'loud' as never })).toThrow(RivetConfigError);
    expect(() => accessLog({ slowMs: -1 })).toThrow(/slowMs/);
    expect(() => accessLog({ logger: {} as never })).toThrow(/pino logger/);
  });
});
