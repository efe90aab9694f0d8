import * as net from 'node:net';
import {
  Authorize,
  Bulkhead,
  bearerAuth,
  createApp,
  MemoryRegistry,
  currentContext,
  Method,
  RateLimit,
  RpcError,
  RPC_CODES,
  Service,
  type CallContext,
  type Interceptor,
  type RpcCode,
} from '../../../src';
import { FixtureService } from '../../fixtures/fixture-service';
import { Harness } from '../../helpers/apps';
import { type JsonReply, postJson } from '../../helpers/http';
import { logSink } from '../../helpers/log-sink';

interface User {
  name: string;
  admin: boolean;
}
const TOKENS: Record<string, User> = { 'tok-ada': { name: 'ada', admin: true }, 'tok-bob': { name: 'bob', admin: false } };

@Service('Calc')
class CalcService {
  @Method()
  add(a: number, b: number): number {
    return a + b;
  }

  @Method()
  nothing(): void {}

  @Method()
  whoami(): { principal: unknown; peer: unknown; metadata: Record<string, string> } {
    const ctx = currentContext() as CallContext;
    return { principal: ctx.principal, peer: ctx.peer, metadata: ctx.metadata };
  }

  @Method()
  @Authorize<User>((u) => u?.admin === true)
  wipe(): string {
    return 'wiped';
  }

  @Method({ timeoutMs: 300 })
  async budget(): Promise<number> {
    const ctx = currentContext() as CallContext;
    return (ctx.deadline as number) - Date.now();
  }

  @Method()
  busy(retryAfterMs?: number): never {
    throw new RpcError('RESOURCE_EXHAUSTED', 'busy', retryAfterMs === undefined ? undefined : { retryAfterMs });
  }

  @Method()
  big(): bigint {
    return 1n;
  }
}

@Service('Limited')
@RateLimit({ perSecond: 1, burst: 1 })
class LimitedService {
  @Method()
  ping(): string {
    return 'pong';
  }
}

@Service('Narrow')
class NarrowService {
  release: () => void = () => undefined;
  entered = 0;

  @Method()
  @Bulkhead({ maxConcurrent: 1, maxQueue: 0 })
  async squeeze(): Promise<string> {
    this.entered++;
    await new Promise<void>((r) => (this.release = r));
    return 'squeezed';
  }
}

const seen: Array<{ service: string; method: string; side: string }> = [];
const recorder: Interceptor = {
  intercept(ctx, next) {
    seen.push({ service: ctx.service, method: ctx.method, side: ctx.side });
    return next();
  },
};

const h = new Harness();
let base: string;
let fixture: FixtureService;
let narrow: NarrowService;

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonReply> {
  return postJson(base, path, body, headers);
}

beforeAll(async () => {
  const { app, httpPort } = await h.serve({
    services: [CalcService, FixtureService, LimitedService, NarrowService],
    interceptors: [recorder, bearerAuth<User>({ verify: (t) => TOKENS[t], exempt: ['Fixture', 'Limited', 'Narrow', 'Calc.add', 'Calc.nothing', 'Calc.whoami', 'Calc.budget', 'Calc.big', 'Calc.busy'] })],
    http: { port: 0 },
  });
  fixture = app.get(FixtureService);
  narrow = app.get(NarrowService);
  base = `http://127.0.0.1:${httpPort}`;
});
afterAll(() => h.close());

describe('HTTP gateway', () => {
  it('calls a method with a JSON array of positional arguments and answers 200 with the JSON result', async () => {
    const r = await post('/rpc/Calc/add', [7, 8]);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toBe(15);
  });

  it('answers null for a method that returns undefined', async () => {
    const r = await post('/rpc/Calc/nothing', []);
    expect(r.status).toBe(200);
    expect(r.body).toBeNull();
  });

  it('runs the call through the global interceptors, as a server call', async () => {
    seen.length = 0;
    await post('/rpc/Calc/add', [1, 2]);
    expect(seen).toEqual([{ service: 'Calc', method: 'add', side: 'server' }]);
  });

  it('marks the peer as HTTP', async () => {
    const r = await post('/rpc/Calc/whoami', []);
    expect(r.body.peer.protocol).toBe('http');
    expect(r.body.peer.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it.each(RPC_CODES as readonly RpcCode[])('maps %s to the status of the Connect table, with { code, message, details }', async (code) => {
    const expected: Record<RpcCode, number> = {
      INVALID_ARGUMENT: 400,
      FAILED_PRECONDITION: 400,
      OUT_OF_RANGE: 400,
      UNAUTHENTICATED: 401,
      PERMISSION_DENIED: 403,
      NOT_FOUND: 404,
      ALREADY_EXISTS: 409,
      ABORTED: 409,
      RESOURCE_EXHAUSTED: 429,
      CANCELLED: 499,
      UNIMPLEMENTED: 501,
      UNAVAILABLE: 503,
      DEADLINE_EXCEEDED: 504,
      INTERNAL: 500,
      UNKNOWN: 500,
      DATA_LOSS: 500,
    };
    const r = await post('/rpc/Fixture/behave', [code], { 'Rivet-Meta-X-Fail-Code': code, 'Rivet-Meta-X-Fail-Message': `failed with ${code}` });
    expect(r.status).toBe(expected[code]);
    expect(r.body).toEqual({ code, message: `failed with ${code}`, details: { attempt: 1 } });
  });

  it('answers a thrown plain Error with 500 INTERNAL, a generic message and no stack', async () => {
    const r = await post('/rpc/Fixture/behave', ['k'], { 'Rivet-Meta-X-Throw-Plain': 'secret database password in here' });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ code: 'INTERNAL', message: 'internal error', details: {} });
    expect(JSON.stringify(r.body)).not.toMatch(/secret|stack|at /);
  });

  it('answers 500 INTERNAL when the result cannot be written as JSON', async () => {
    const r = await post('/rpc/Calc/big', []);
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('INTERNAL');
  });

  it('turns Authorization into the authorization metadata, so bearerAuth and @Authorize work unchanged', async () => {
    expect((await post('/rpc/Calc/wipe', [])).status).toBe(401);
    const bob = await post('/rpc/Calc/wipe', [], { authorization: 'Bearer tok-bob' });
    expect(bob.status).toBe(403);
    expect(bob.body.code).toBe('PERMISSION_DENIED');
    const ada = await post('/rpc/Calc/wipe', [], { authorization: 'Bearer tok-ada' });
    expect(ada).toMatchObject({ status: 200, body: 'wiped' });
  });

  it('passes Rivet-Meta-*, Authorization and trace headers to metadata, and nothing else', async () => {
    const r = await post('/rpc/Calc/whoami', [], {
      'Rivet-Meta-Tenant': 'acme',
      'rivet-meta-request-id': 'r-1',
      authorization: 'Bearer tok-ada',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=1',
      baggage: 'user=ada',
      'x-forwarded-for': '10.0.0.1',
      cookie: 'session=abc',
      'x-custom': 'nope',
      'user-agent': 'test',
    });
    expect(r.status).toBe(200);
    expect(r.body.metadata).toEqual({
      tenant: 'acme',
      'request-id': 'r-1',
      authorization: 'Bearer tok-ada',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=1',
      baggage: 'user=ada',
    });
  });

  it('sets the deadline from Rivet-Timeout-Ms, clamped to the method cap', async () => {
    const short = await post('/rpc/Calc/budget', [], { 'Rivet-Timeout-Ms': '100' });
    expect(short.body).toBeGreaterThan(0);
    expect(short.body).toBeLessThanOrEqual(100);
    const long = await post('/rpc/Calc/budget', [], { 'Rivet-Timeout-Ms': '60000' });
    expect(long.body).toBeLessThanOrEqual(300);
    const none = await post('/rpc/Calc/budget', []);
    expect(none.body).toBeLessThanOrEqual(300);
  });

  it('answers 504 DEADLINE_EXCEEDED when the deadline passes, and aborts the handler', async () => {
    const r = await post('/rpc/Fixture/behave', ['slow-http'], { 'Rivet-Meta-X-Hang': '1', 'Rivet-Timeout-Ms': '150' });
    expect(r.status).toBe(504);
    expect(r.body.code).toBe('DEADLINE_EXCEEDED');
    expect(fixture.log.aborted).toContainEqual({ key: 'slow-http', reason: 'DEADLINE_EXCEEDED' });
  });

  it('rejects a malformed Rivet-Timeout-Ms with 400', async () => {
    const r = await post('/rpc/Calc/add', [1, 2], { 'Rivet-Timeout-Ms': 'soon' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_ARGUMENT');
  });

  it('answers a rate-limited call 429 with Retry-After', async () => {
    const codes: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const r = await post('/rpc/Limited/ping', []);
      codes.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.body.code).toBe('RESOURCE_EXHAUSTED');
        expect(r.body.details.reason).toBe('RATE_LIMITED');
      }
    }
    expect(codes[0]).toBe(200);
    expect(codes).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [2500, '3'],
    [1000, '1'],
    [0, '0'],
  ])('answers RESOURCE_EXHAUSTED with retryAfterMs %d as 429 with Retry-After: %s (whole seconds, rounded up)', async (ms, header) => {
    const r = await post('/rpc/Calc/busy', [ms]);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe(header);
    expect(r.body).toEqual({ code: 'RESOURCE_EXHAUSTED', message: 'busy', details: { retryAfterMs: ms } });
  });

  it('sends no Retry-After when retryAfterMs is not known', async () => {
    const r = await post('/rpc/Calc/busy', []);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeNull();
  });

  it("answers a call refused by the method's bulkhead 429 RESOURCE_EXHAUSTED", async () => {
    const first = post('/rpc/Narrow/squeeze', []);
    const started = Date.now();
    while (narrow.entered === 0 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
    const second = await post('/rpc/Narrow/squeeze', []);
    expect(second.status).toBe(429);
    expect(second.body.details.reason).toBe('BULKHEAD_FULL');
    narrow.release();
    expect(await first).toMatchObject({ status: 200, body: 'squeezed' });
  });

  it('cancels the call when the HTTP client goes away', async () => {
    const ac = new AbortController();
    const pending = fetch(`${base}/rpc/Fixture/behave`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'rivet-meta-x-hang': '1' },
      body: JSON.stringify(['gone-http']),
      signal: ac.signal,
    }).catch((err: unknown) => err);
    const started = Date.now();
    while (!fixture.log.started.includes('gone-http') && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await pending;
    while (!fixture.log.aborted.some((a) => a.key === 'gone-http') && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
    expect(fixture.log.aborted).toContainEqual({ key: 'gone-http', reason: 'CANCELLED' });
  });
});

describe('HTTP gateway and the access log', () => {
  const h2 = new Harness();
  afterAll(() => h2.close());

  it('writes one access log line per gateway call, as for a binary call', async () => {
    const sink = logSink();
    const { httpPort } = await h2.serve({ services: [CalcService], logger: sink.logger, telemetry: { tracing: false, metrics: false }, http: { port: 0 } });
    const res = await fetch(`http://127.0.0.1:${httpPort}/rpc/Calc/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[2,3]' });
    expect(await res.json()).toBe(5);
    const lines = sink.lines.filter((l) => l.msg === 'call' && l.method === 'add');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ side: 'server', service: 'Calc', code: 'OK' });
  });
});

describe('HTTP port in use', () => {
  it('makes listen() reject, and close() still cleans up', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    const app = await createApp({ services: [CalcService], registry: new MemoryRegistry(), logger: false, http: { port: taken } });
    await expect(app.listen(0, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await app.close({ drainTimeoutMs: 500 });
    await new Promise((r) => blocker.close(r));
  });
});
