import * as http from 'node:http';
import * as net from 'node:net';
import { Method, Service } from '../../../src';
import { Harness } from '../../helpers/apps';

@Service('Shop')
class ShopService {
  readonly ran: string[] = [];

  @Method()
  buy(item: string): string {
    this.ran.push(`buy:${item}`);
    return `bought ${item}`;
  }

  @Method()
  inspect(x: object): { keys: string[]; plainPrototype: boolean } {
    return { keys: Object.keys(x), plainPrototype: Object.getPrototypeOf(x) === Object.prototype };
  }

  @Method({ stream: 'server' })
  async *watch(n: number): AsyncGenerator<number> {
    this.ran.push('watch');
    for (let i = 0; i < n; i++) yield i;
  }

  /** Not a @Method: never callable. */
  secret(): string {
    this.ran.push('secret');
    return 'leaked';
  }
}

@Service('Hidden')
class HiddenService {
  readonly ran: string[] = [];

  @Method()
  peek(): string {
    this.ran.push('peek');
    return 'seen';
  }
}

const h = new Harness();
let base: string;
let httpPort: number;
let shop: ShopService;
let hidden: HiddenService;

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, ...init });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Sends raw bytes and resolves with what came back before the server closed or `quietMs` passed. */
function raw(bytes: string | Buffer, writeMore?: (socket: net.Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(httpPort, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.on('connect', () => {
      socket.write(bytes);
      writeMore?.(socket);
    });
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no close within 10 s; got ${JSON.stringify(got)}`));
    });
  });
}

beforeAll(async () => {
  const served = await h.serve({
    services: [ShopService, HiddenService],
    http: { port: 0, gateway: { services: ['Shop'], maxBodyBytes: 1024, bodyTimeoutMs: 300 } },
  });
  httpPort = served.httpPort as number;
  base = `http://127.0.0.1:${httpPort}`;
  shop = served.app.get(ShopService);
  hidden = served.app.get(HiddenService);
});
afterAll(() => h.close());

describe('HTTP gateway: bad input', () => {
  it.each([
    ['{"not": "an array"}', /JSON array/],
    ['"just a string"', /JSON array/],
    ['null', /JSON array/],
    ['[1, 2', /not valid JSON/],
    ['', /JSON array/],
  ])('answers 400 INVALID_ARGUMENT for the body %j, saying what was expected', async (body, message) => {
    const r = await call('/rpc/Shop/buy', { body });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_ARGUMENT');
    expect(r.body.message).toMatch(message);
    expect(shop.ran).toEqual([]);
  });

  it.each([
    ['an unknown service', '/rpc/Nope/buy'],
    ['an unknown method', '/rpc/Shop/sell'],
    ['a member that is not a @Method', '/rpc/Shop/secret'],
    ['an inherited name', '/rpc/Shop/constructor'],
    ['a service outside the allowlist', '/rpc/Hidden/peek'],
    ['the internal health service', '/rpc/rivet.Health/check'],
    ['a path with no method', '/rpc/Shop'],
  ])('answers 404 UNIMPLEMENTED for %s and runs nothing', async (_what, path) => {
    const r = await call(path, { body: '[]' });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('UNIMPLEMENTED');
    expect(shop.ran).toEqual([]);
    expect(hidden.ran).toEqual([]);
  });

  it('answers a streaming method with 501 UNIMPLEMENTED saying streams are not served over HTTP, and runs nothing', async () => {
    const r = await call('/rpc/Shop/watch', { body: '[3]' });
    expect(r.status).toBe(501);
    expect(r.body.code).toBe('UNIMPLEMENTED');
    expect(r.body.message).toBe('Shop.watch is a streaming method; streaming over HTTP is not supported yet: call it with a Rivet client');
    expect(r.body.details.reason).toBe('STREAMS_UNSUPPORTED');
    expect(shop.ran).toEqual([]);
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 and Allow: POST', async (method) => {
    const r = await call('/rpc/Shop/buy', { method, body: method === 'GET' ? undefined : '[]' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(shop.ran).toEqual([]);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx'])('answers content type %s with 415', async (type) => {
    const r = await call('/rpc/Shop/buy', { headers: { 'content-type': type }, body: '["x"]' });
    expect(r.status).toBe(415);
    expect(shop.ran).toEqual([]);
  });

  it('accepts application/json with a charset', async () => {
    const r = await call('/rpc/Shop/buy', { headers: { 'content-type': 'application/json; charset=utf-8' }, body: '["tea"]' });
    expect(r).toMatchObject({ status: 200, body: 'bought tea' });
    shop.ran.length = 0;
  });

  it('answers a body over maxBodyBytes with 413 without running anything, and keeps serving', async () => {
    const big = JSON.stringify(['x'.repeat(5_000)]);
    const r = await call('/rpc/Shop/buy', { body: big });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('RESOURCE_EXHAUSTED');
    expect(shop.ran).toEqual([]);
    expect((await call('/rpc/Shop/buy', { body: '["ok"]' })).status).toBe(200);
    shop.ran.length = 0;
  });

  it('answers a chunked body that grows past the limit with 413 and reads no further', async () => {
    // No Content-Length: the limit must hold while reading. The client keeps sending; the server
    // answers and closes instead of buffering it.
    let sent = 0;
    const answer = await raw(
      `POST /rpc/Shop/buy HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
      (socket) => {
        const chunk = `400\r\n${'a'.repeat(0x400)}\r\n`;
        const pump = (): void => {
          while (sent < 200 && !socket.destroyed) {
            sent++;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
        };
        pump();
      },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(shop.ran).toEqual([]);
    expect((await call('/rpc/Shop/buy', { body: '["after"]' })).status).toBe(200);
    shop.ran.length = 0;
  });

  it('answers a stalled body with 408 after bodyTimeoutMs, and keeps serving', async () => {
    const started = Date.now();
    const answer = await raw(`POST /rpc/Shop/buy HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n["par`);
    const tookMs = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(tookMs).toBeGreaterThanOrEqual(250);
    expect(tookMs).toBeLessThan(5_000);
    expect(shop.ran).toEqual([]);
    expect((await call('/rpc/Shop/buy', { body: '["after"]' })).status).toBe(200);
    shop.ran.length = 0;
  });

  it('drops __proto__ keys from arguments, as the binary JSON codec does', async () => {
    for (const body of ['[{"__proto__": {"polluted": true}, "name": "tea"}]', '[{"\\u005f_proto__": {"polluted": true}, "name": "tea"}]']) {
      const r = await call('/rpc/Shop/inspect', { body });
      expect(r).toMatchObject({ status: 200, body: { keys: ['name'], plainPrototype: true } });
    }
  });

  it('answers an unknown path with 404', async () => {
    const res = await fetch(`${base}/nothing/here`);
    expect(res.status).toBe(404);
    await res.text();
  });

  it('survives a garbled request line', async () => {
    const answer = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const res = await new Promise<number>((resolve, reject) => {
      http.get(`${base}/livez`, (r) => {
        r.resume();
        resolve(r.statusCode as number);
      }).on('error', reject);
    });
    expect(res).toBe(200);
  });
});
