import * as https from 'node:https';
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import { currentContext, Method, type PeerIdentity, Service } from '../../../src';
import { Harness } from '../../helpers/apps';
import { testCerts, type TestCerts } from '../../helpers/certs';
import { logSink } from '../../helpers/log-sink';

@Service('Echo')
class EchoService {
  @Method()
  say(text: string): string {
    return text;
  }

  @Method()
  who(): { identity: PeerIdentity | undefined; protocol: string | undefined } {
    const peer = currentContext()?.peer;
    return { identity: peer?.identity, protocol: peer?.protocol };
  }
}

const h = new Harness();
afterEach(() => h.close());

function post(base: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '["hi"]' });
}

/** True when a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('HTTP: safe by default', () => {
  it('starts no HTTP server unless http is given', async () => {
    const served = await h.serve({ services: [EchoService] });
    expect(served.httpPort).toBeUndefined();
    expect(served.app.httpPort).toBeUndefined();
  });

  it('binds 127.0.0.1 unless told otherwise', async () => {
    const sink = logSink();
    const { httpPort } = await h.serve({ services: [EchoService], logger: sink.logger, http: { port: 0 } });
    expect(sink.lines.find((l) => l.msg === 'http listening')).toMatchObject({ host: '127.0.0.1', port: httpPort });
    expect(await accepts('127.0.0.1', httpPort as number)).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
    // On a machine with another interface, the port is not reachable through it.
    if (external !== undefined) expect(await accepts(external.address, httpPort as number)).toBe(false);
  });

  it('sends no CORS headers unless configured, and refuses preflights', async () => {
    const { httpPort } = await h.serve({ services: [EchoService], http: { port: 0 } });
    const base = `http://127.0.0.1:${httpPort}`;
    const res = await post(base, '/rpc/Echo/say', { origin: 'https://evil.example' });
    expect(res.status).toBe(200);
    await res.text();
    expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    const preflight = await fetch(`${base}/rpc/Echo/say`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(405);
    await preflight.text();
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers configured origins with CORS headers and preflights, and no others', async () => {
    const { httpPort } = await h.serve({ services: [EchoService], http: { port: 0, cors: { origins: ['https://app.example'] } } });
    const base = `http://127.0.0.1:${httpPort}`;
    const ok = await post(base, '/rpc/Echo/say', { origin: 'https://app.example' });
    await ok.text();
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const preflight = await fetch(`${base}/rpc/Echo/say`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, rivet-meta-tenant' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('rivet-meta-tenant');
    const other = await post(base, '/rpc/Echo/say', { origin: 'https://evil.example' });
    await other.text();
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never exposes internal services, even when they are named in the allowlist, and warns about the name', async () => {
    const sink = logSink();
    const { httpPort } = await h.serve({ services: [EchoService], logger: sink.logger, http: { port: 0, gateway: { services: ['Echo', 'rivet.Health'] } } });
    const base = `http://127.0.0.1:${httpPort}`;
    const health = await fetch(`${base}/rpc/rivet.Health/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[""]' });
    expect(health.status).toBe(404);
    expect(((await health.json()) as { code: string }).code).toBe('UNIMPLEMENTED');
    expect((await post(base, '/rpc/Echo/say')).status).toBe(200);
    expect(sink.lines.find((l) => l.level === 40 && /internal to Rivet/.test(String(l.msg)))).toBeDefined();
  });

  it('serves only what is turned on', async () => {
    const { httpPort } = await h.serve({ services: [EchoService], http: { port: 0, gateway: false, dashboard: false, health: false } });
    const base = `http://127.0.0.1:${httpPort}`;
    for (const path of ['/rpc/Echo/say', '/rivet/dashboard', '/readyz', '/metrics']) {
      const res = await fetch(`${base}${path}`, path.startsWith('/rpc') ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' } : {});
      expect([path, res.status]).toEqual([path, 404]);
      await res.text();
    }
  });
});

describe("HTTP over the app's TLS", () => {
  let certs: TestCerts;
  beforeAll(async () => {
    certs = await testCerts();
  });

  function httpsPost(port: number, path: string, client: { key?: string; cert?: string } = {}): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path, method: 'POST', ca: certs.ca, headers: { 'content-type': 'application/json' }, ...client },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode as number, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end('["secure"]');
    });
  }

  it('serves HTTPS when the app has tls', async () => {
    const { httpPort } = await h.serve({ services: [EchoService], tls: { key: certs.server.key, cert: certs.server.cert }, http: { port: 0 } });
    expect(await httpsPost(httpPort as number, '/rpc/Echo/say')).toEqual({ status: 200, body: 'secure' });
    await expect(fetch(`http://127.0.0.1:${httpPort}/livez`)).rejects.toThrow();
  });

  it('requires a client certificate with requestCert, and gives the handler its verified identity', async () => {
    const { httpPort } = await h.serve({
      services: [EchoService],
      tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, requestCert: true },
      http: { port: 0 },
    });
    await expect(httpsPost(httpPort as number, '/rpc/Echo/who')).rejects.toThrow();
    const r = await httpsPost(httpPort as number, '/rpc/Echo/who', { key: certs.alice.key, cert: certs.alice.cert });
    expect(r.status).toBe(200);
    expect(r.body.protocol).toBe('http');
    expect(r.body.identity.subject).toBe('CN=alice,O=Rivet');
  });
});
