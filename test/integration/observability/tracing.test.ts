import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Method, RemoteService, type Remote, Service, tracing } from '../../../src';
import { FixtureService } from '../../fixtures/fixture-service';
import { Harness, waitFor } from '../../helpers/apps';
import { enableAsyncContext, memoryTracing, w3cPropagator } from '../../helpers/otel';

const TRACED_CHILD = path.join(__dirname, '..', '..', 'fixtures', 'traced-inventory.js');

/** A span as the child prints it, or as this process's exporter has it, in one shape. */
interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: SpanKind;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode };
  process: 'test' | 'child';
}

interface TracedChild {
  port: number;
  spans: SpanRecord[];
  child: ChildProcess;
  closed: Promise<void>;
}

/** Starts traced-inventory.js; its spans arrive in `spans` as it prints them. */
async function startTracedChild(): Promise<TracedChild> {
  const child = spawn(process.execPath, [TRACED_CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const spans: SpanRecord[] = [];
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('traced child did not start within 10 s')), 10_000);
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { port?: number; span?: Omit<SpanRecord, 'process'> };
      if (msg.port !== undefined) {
        clearTimeout(timer);
        resolve(msg.port);
      } else if (msg.span !== undefined) {
        spans.push({ ...msg.span, process: 'child' });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`traced child exited (${code}) before it listened`));
    });
  });
  return { port, spans, child, closed };
}

@Service('Inventory')
class InventoryContract {
  @Method()
  reserve(_item: string, _qty: number): { item: string; pid: number; traceparent: string; tenant: string; activeSpanId: string } {
    throw new Error('served by the child process');
  }
}

@Service('Orders')
class OrdersService {
  constructor(@RemoteService('Inventory') private readonly inventory: Remote<InventoryContract>) {}

  @Method()
  async place(item: string, qty: number): Promise<unknown> {
    return this.inventory.reserve(item, qty);
  }
}

let disableContext: () => void;
beforeAll(() => {
  disableContext = enableAsyncContext();
});
afterAll(() => disableContext());

describe('distributed tracing', () => {
  const h = new Harness();
  let inventory: TracedChild | undefined;
  afterEach(async () => {
    await h.close();
    if (inventory !== undefined) {
      inventory.child.stdin?.end();
      await inventory.closed;
      inventory = undefined;
    }
  });

  it('links gateway → Orders → Inventory (another process) into one trace, with RPC kinds and attributes', async () => {
    inventory = await startTracedChild();
    await h.registry.register({ id: 'inventory-child', service: 'Inventory', host: '127.0.0.1', port: inventory.port, weight: 1, metadata: {} });
    const sdk = memoryTracing();
    const traced = tracing({ tracerProvider: sdk.provider, propagator: w3cPropagator() });
    const { port: ordersPort } = await h.serve({ services: [OrdersService], interceptors: [traced] });
    const gateway = h.client({ interceptors: [traced] }).proxy(OrdersService);

    // Baggage set by the gateway travels both hops.
    const withTenant = propagation.setBaggage(context.active(), propagation.createBaggage({ tenant: { value: 'acme' } }));
    const reply = (await context.with(withTenant, () => gateway.place('rivet', 2))) as { pid: number; tenant: string; traceparent: string; activeSpanId: string };
    expect(reply.pid).toBe(inventory.child.pid);
    expect(reply.tenant).toBe('acme');

    await waitFor(() => inventory!.spans.length >= 1, 5_000, 'the child’s span');
    const local: SpanRecord[] = sdk.spans().map((s) => ({
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId,
      name: s.name,
      kind: s.kind,
      attributes: s.attributes,
      status: s.status,
      process: 'test',
    }));
    const all = [...local, ...inventory.spans];
    expect(new Set(all.map((s) => s.traceId)).size).toBe(1);
    const byId = new Map(all.map((s) => [s.spanId, s]));
    const parentOf = (s: SpanRecord) => (s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId));
    const isAttempt = (s: SpanRecord) => s.attributes['rpc.rivet.attempt'] !== undefined;

    // gateway: call span (the root) → attempt span
    const gatewayCall = all.find((s) => s.name === 'Orders/place' && s.kind === SpanKind.CLIENT && !isAttempt(s))!;
    expect(gatewayCall.parentSpanId).toBeUndefined();
    const gatewayAttempt = all.find((s) => s.name === 'Orders/place' && isAttempt(s))!;
    expect(parentOf(gatewayAttempt)).toBe(gatewayCall);
    // Orders: server span under the gateway's attempt, its own call to Inventory under it
    const ordersServer = all.find((s) => s.name === 'Orders/place' && s.kind === SpanKind.SERVER)!;
    expect(parentOf(ordersServer)).toBe(gatewayAttempt);
    const ordersCall = all.find((s) => s.name === 'Inventory/reserve' && s.kind === SpanKind.CLIENT && !isAttempt(s))!;
    expect(parentOf(ordersCall)).toBe(ordersServer);
    const ordersAttempt = all.find((s) => s.name === 'Inventory/reserve' && isAttempt(s))!;
    expect(parentOf(ordersAttempt)).toBe(ordersCall);
    // Inventory, in the child: its server span under Orders' attempt, active in the handler
    const inventoryServer = all.find((s) => s.name === 'Inventory/reserve' && s.kind === SpanKind.SERVER)!;
    expect(inventoryServer.process).toBe('child');
    expect(parentOf(inventoryServer)).toBe(ordersAttempt);
    expect(reply.activeSpanId).toBe(inventoryServer.spanId);
    expect(reply.traceparent).toBe(`00-${inventoryServer.traceId}-${ordersAttempt.spanId}-01`);
    expect(all).toHaveLength(6);

    for (const s of all) {
      expect(s.attributes).toMatchObject({ 'rpc.system': 'rivet', 'rpc.rivet.status_code': 'OK' });
      expect(s.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(gatewayCall.attributes).toMatchObject({ 'rpc.service': 'Orders', 'rpc.method': 'place', 'server.address': '127.0.0.1', 'server.port': ordersPort });
    expect(ordersAttempt.attributes).toMatchObject({ 'rpc.service': 'Inventory', 'rpc.method': 'reserve', 'server.port': inventory.port, 'rpc.rivet.attempt': 1 });
    expect(inventoryServer.attributes).toMatchObject({ 'rpc.service': 'Inventory', 'rpc.method': 'reserve', 'network.peer.address': '127.0.0.1' });
  });

  it('makes no attempt spans for a method that cannot retry: the server span hangs off the call span', async () => {
    const sdk = memoryTracing();
    const traced = tracing({ tracerProvider: sdk.provider, propagator: w3cPropagator() });
    await h.serve({ services: [FixtureService], interceptors: [traced] });
    await h.client({ interceptors: [traced], policy: { retry: false } }).invoke('Fixture', 'echo', ['once']);
    const spans = sdk.spans();
    expect(spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT].sort());
    const call = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(call.attributes['rpc.rivet.attempt']).toBeUndefined();
    expect(spans.find((s) => s.kind === SpanKind.SERVER)!.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
  });

  it('shows a retried call as one call span with a child span per attempt', async () => {
    const sdk = memoryTracing();
    const traced = tracing({ tracerProvider: sdk.provider, propagator: w3cPropagator() });
    await h.serve({ services: [FixtureService], interceptors: [traced] });
    const client = h.client({ interceptors: [traced], policy: { retry: { maxAttempts: 3, initialBackoffMs: 1 } } });
    const metadata = { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '2', 'x-key': 'retried' };
    await expect(client.invoke('Fixture', 'behave', ['k'], { metadata })).resolves.toMatchObject({ key: 'k' });

    const spans = sdk.spans();
    const calls = spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes['rpc.rivet.attempt'] === undefined);
    expect(calls).toHaveLength(1);
    const call = calls[0];
    expect(call.attributes['rpc.rivet.status_code']).toBe('OK');
    const attempts = spans.filter((s) => s.attributes['rpc.rivet.attempt'] !== undefined).sort((a, b) => Number(a.attributes['rpc.rivet.attempt']) - Number(b.attributes['rpc.rivet.attempt']));
    expect(attempts.map((a) => [a.attributes['rpc.rivet.attempt'], a.attributes['rpc.rivet.status_code'], a.status.code])).toEqual([
      [1, 'UNAVAILABLE', SpanStatusCode.ERROR],
      [2, 'UNAVAILABLE', SpanStatusCode.ERROR],
      [3, 'OK', SpanStatusCode.UNSET],
    ]);
    for (const a of attempts) expect(a.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(servers).toHaveLength(3);
    // Each server span hangs off the attempt that reached it.
    expect(servers.map((s) => s.parentSpanContext?.spanId).sort()).toEqual(attempts.map((a) => a.spanContext().spanId).sort());
    expect(servers.filter((s) => s.status.code === SpanStatusCode.ERROR)).toHaveLength(2);
  });
});
