import { currentContext, type CallContext } from '../../../src/call';
import { isRpcError, RpcError } from '../../../src/errors';
import { Dispatcher, type InProcessCall } from '../../../src/server';

const signals: AbortSignal[] = [];

function dispatcher(stages: Array<(next: (ctx: CallContext) => Promise<unknown>) => (ctx: CallContext) => Promise<unknown>> = []): Dispatcher {
  return new Dispatcher(
    [
      {
        name: 'Arith',
        middlewares: [],
        methods: [
          { name: 'add', handler: (ctx) => (ctx.args as number[])[0] + (ctx.args as number[])[1], idempotent: true, middlewares: [] },
          { name: 'whoami', handler: () => ({ peer: currentContext()?.peer, md: currentContext()?.metadata }), idempotent: true, middlewares: [] },
          { name: 'budget', handler: (ctx) => (ctx.deadline as number) - Date.now(), idempotent: true, middlewares: [], timeoutMs: 200 },
          {
            name: 'hang',
            handler: (ctx) => {
              signals.push(ctx.signal);
              return new Promise(() => undefined);
            },
            idempotent: false,
            middlewares: [],
          },
        ],
      },
    ],
    stages,
  );
}

const call = (method: string, over: Partial<InProcessCall> = {}): InProcessCall => ({
  service: 'Arith',
  method,
  args: [2, 3],
  metadata: { tenant: 'acme' },
  timeoutMs: 1_000,
  peer: { address: '127.0.0.1:5555', protocol: 'http' },
  ...over,
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return isRpcError(err) ? err.code : `not an RpcError: ${String(err)}`;
  }
}

describe('Dispatcher.callInProcess', () => {
  it('runs the composed chain inside the call context and resolves with the value', async () => {
    const seen: string[] = [];
    const d = dispatcher([(next) => (ctx) => (seen.push(`${ctx.side} ${ctx.service}.${ctx.method}`), next(ctx))]);
    await expect(d.callInProcess(call('add'))).resolves.toBe(5);
    await expect(d.callInProcess(call('whoami'))).resolves.toEqual({ peer: { address: '127.0.0.1:5555', protocol: 'http' }, md: { tenant: 'acme' } });
    expect(seen).toEqual(['server Arith.add', 'server Arith.whoami']);
  });

  it('rejects UNIMPLEMENTED for an unknown service or method, running nothing', async () => {
    const d = dispatcher();
    expect(await codeOf(d.callInProcess(call('nope')))).toBe('UNIMPLEMENTED');
    expect(await codeOf(d.callInProcess({ ...call('add'), service: 'Other' }))).toBe('UNIMPLEMENTED');
  });

  it("clamps the caller's budget to the method's cap", async () => {
    const d = dispatcher();
    expect(await d.callInProcess(call('budget', { timeoutMs: 60_000 }))).toBeLessThanOrEqual(200);
    expect(await d.callInProcess(call('budget', { timeoutMs: 50 }))).toBeLessThanOrEqual(50);
  });

  it('rejects DEADLINE_EXCEEDED when the deadline passes and aborts the handler', async () => {
    signals.length = 0;
    expect(await codeOf(dispatcher().callInProcess(call('hang', { timeoutMs: 30 })))).toBe('DEADLINE_EXCEEDED');
    expect(signals[0].aborted).toBe(true);
    expect((signals[0].reason as RpcError).code).toBe('DEADLINE_EXCEEDED');
  });

  it('rejects CANCELLED when the signal aborts, before or during the call', async () => {
    signals.length = 0;
    const ac = new AbortController();
    const p = dispatcher().callInProcess(call('hang', { signal: ac.signal }));
    ac.abort();
    expect(await codeOf(p)).toBe('CANCELLED');
    expect((signals[0].reason as RpcError).code).toBe('CANCELLED');
    expect(await codeOf(dispatcher().callInProcess(call('add', { signal: AbortSignal.abort() })))).toBe('CANCELLED');
  });

  it('hands its stop function to the tracker while the call runs', async () => {
    const running = new Set<(err: RpcError) => void>();
    const p = dispatcher().callInProcess(call('hang'), running);
    expect(running.size).toBe(1);
    for (const stop of running) stop(new RpcError('UNAVAILABLE', 'shutting down'));
    expect(await codeOf(p)).toBe('UNAVAILABLE');
    expect(running.size).toBe(0);
  });
});
