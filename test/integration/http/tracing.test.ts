import { Method, Service } from '../../../src';
import { Harness } from '../../helpers/apps';
import { enableAsyncContext, memoryTracing, w3cPropagator } from '../../helpers/otel';

@Service('Traced')
class TracedService {
  @Method()
  work(): string {
    return 'worked';
  }
}

const h = new Harness();
let disable: () => void;
beforeAll(() => {
  disable = enableAsyncContext();
});
afterAll(async () => {
  await h.close();
  disable();
});

describe('HTTP gateway and tracing', () => {
  it("continues the caller's trace from traceparent, with a SERVER span for the call", async () => {
    const tracing = memoryTracing();
    const { httpPort } = await h.serve({
      services: [TracedService],
      telemetry: { tracing: { tracerProvider: tracing.provider, propagator: w3cPropagator() }, metrics: false, accessLog: false },
      http: { port: 0 },
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const res = await fetch(`http://127.0.0.1:${httpPort}/rpc/Traced/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01`, baggage: 'tenant=acme' },
      body: '[]',
    });
    expect(await res.json()).toBe('worked');
    const spans = tracing.spans().filter((s) => s.name === 'Traced/work');
    expect(spans).toHaveLength(1);
    expect(spans[0].spanContext().traceId).toBe(traceId);
    expect(spans[0].parentSpanContext?.spanId).toBe(parentId);
    expect(spans[0].kind).toBe(1); // SpanKind.SERVER
    expect(spans[0].attributes['rpc.rivet.status_code']).toBe('OK');
    await tracing.provider.shutdown();
  });
});
