import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type CallContext, composeMiddleware, createCallContext, type Invoker } from '../../../src/call';
import { RivetConfigError, RpcError } from '../../../src/errors';
import { toAttemptMiddleware, toMiddleware } from '../../../src/interceptors';
import { tracing } from '../../../src/observability';
import { enableAsyncContext, memoryTracing, w3cPropagator } from '../../helpers/otel';

function ctx(side: 'client' | 'server', metadata: Record<string, string> = {}, peer = '127.0.0.1:4100'): CallContext {
  return createCallContext(side, 'Orders', 'place', [], metadata, undefined, new AbortController().signal, { address: peer });
}

let disableContext: () => void;
beforeAll(() => {
  disableContext = enableAsyncContext();
});
afterAll(() => disableContext());

describe('tracing on the client', () => {
  it('makes a CLIENT span with the RPC attributes and sends its context in the metadata', async () => {
    const { provider, spans } = memoryTracing();
    const t = tracing({ tracerProvider: provider, propagator: w3cPropagator() });
    const c = ctx('client');
    let sent: Record<string, string> = {};
    await toMiddleware(t)(async (x) => {
      sent = { ...x.metadata };
      return 'ok';
    })(c);
    const [span] = spans();
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.name).toBe('Orders/place');
    expect(span.attributes).toMatchObject({
      'rpc.system': 'rivet',
      'rpc.service': 'Orders',
      'rpc.method': 'place',
      'rpc.rivet.status_code': 'OK',
      'server.address': '127.0.0.1',
      'server.port': 4100,
    });
    expect(sent.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });

  it('makes one child span per attempt, each sent as the parent of the server span', async () => {
    const { provider, spans } = memoryTracing();
    const t = tracing({ tracerProvider: provider, propagator: w3cPropagator() });
    const sent: string[] = [];
    let n = 0;
    const route: Invoker = async (x) => {
      sent.push(x.metadata.traceparent);
      if (++n < 3) throw new RpcError('UNAVAILABLE', 'try again');
      return 'ok';
    };
    // A stand-in for the retry stage, numbering attempts as it does.
    const retry = (next: Invoker): Invoker => async (x) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await next(x);
        } catch (err) {
          if (attempt === 3) throw err;
          x.metadata['rivet-attempt'] = String(attempt + 1);
        }
      }
    };
    await composeMiddleware([toMiddleware(t), retry, toAttemptMiddleware(t)!], route)(ctx('client'));
    const all = spans();
    const call = all.find((s) => s.attributes['rpc.rivet.attempt'] === undefined)!;
    const attempts = all.filter((s) => s.attributes['rpc.rivet.attempt'] !== undefined);
    expect(attempts.map((s) => s.attributes['rpc.rivet.attempt'])).toEqual([1, 2, 3]);
    for (const a of attempts) {
      expect(a.kind).toBe(SpanKind.CLIENT);
      expect(a.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
      expect(a.spanContext().traceId).toBe(call.spanContext().traceId);
    }
    expect(attempts.map((a) => a.attributes['rpc.rivet.status_code'])).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'OK']);
    expect(attempts.map((a) => a.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    expect(sent).toEqual(attempts.map((a) => `00-${a.spanContext().traceId}-${a.spanContext().spanId}-01`));
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a failed call ERROR with its code', async () => {
    const { provider, spans } = memoryTracing();
    const t = tracing({ tracerProvider: provider });
    await expect(
      toMiddleware(t)(async () => {
        throw new RpcError('NOT_FOUND', 'no such order');
      })(ctx('client')),
    ).rejects.toThrow('no such order');
    expect(spans()[0].status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such order' });
    expect(spans()[0].attributes).toMatchObject({ 'rpc.rivet.status_code': 'NOT_FOUND', 'error.type': 'NOT_FOUND' });
  });

  it('with no SDK, leaves the metadata alone and calls on', async () => {
    const t = tracing();
    const c = ctx('client');
    await expect(toMiddleware(t)(async () => 'ok')(c)).resolves.toBe('ok');
    expect(c.metadata).toEqual({});
    await expect(toAttemptMiddleware(t)!(async () => 'attempt')(c)).resolves.toBe('attempt');
  });
});

describe('tracing on the server', () => {
  it('continues the caller’s trace in a SERVER span that is active in the handler', async () => {
    const { provider, spans } = memoryTracing();
    const t = tracing({ tracerProvider: provider, propagator: w3cPropagator() });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const c = ctx('server', { traceparent: `00-${traceId}-b7ad6b7169203331-01`, baggage: 'tenant=acme' }, '10.1.2.3:50000');
    let active: string | undefined;
    let tenant: string | undefined;
    await toMiddleware(t)(async () => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      tenant = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
      return 'ok';
    })(c);
    const [span] = spans();
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(active).toBe(span.spanContext().spanId);
    expect(tenant).toBe('acme');
    expect(span.attributes).toMatchObject({ 'rpc.system': 'rivet', 'network.peer.address': '10.1.2.3', 'network.peer.port': 50000, 'rpc.rivet.status_code': 'OK' });
  });

  it('sets ERROR only for codes that mean the server failed', async () => {
    const { provider, spans } = memoryTracing();
    const mw = toMiddleware(tracing({ tracerProvider: provider }));
    await expect(mw(async () => Promise.reject(new RpcError('INVALID_ARGUMENT', 'bad')))(ctx('server'))).rejects.toThrow();
    await expect(mw(async () => Promise.reject(new Error('boom')))(ctx('server'))).rejects.toThrow();
    const [caller, fault] = spans();
    expect(caller.status.code).toBe(SpanStatusCode.UNSET);
    expect(caller.attributes['rpc.rivet.status_code']).toBe('INVALID_ARGUMENT');
    expect(fault.status.code).toBe(SpanStatusCode.ERROR);
    expect(fault.attributes['rpc.rivet.status_code']).toBe('UNKNOWN');
  });

  it('with no SDK and nothing incoming, runs the handler in the context it was given', async () => {
    const t = tracing();
    const before = context.active();
    let inside: unknown;
    await toMiddleware(t)(async () => {
      inside = context.active();
    })(ctx('server'));
    expect(inside).toBe(before);
  });
});

describe('tracing options', () => {
  it('rejects what is not a provider or a propagator, naming the option', () => {
    expect(() => tracing({ tracerProvider: {} as never })).toThrow(RivetConfigError);
    expect(() => tracing({ propagator: { inject: () => undefined } as never })).toThrow(/tracing options.propagator/);
    expect(() => tracing({ provider: 1 } as never)).toThrow(/unknown key 'provider'/);
  });
});
