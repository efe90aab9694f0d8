import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import { RpcError } from '../../../src';
import { encodeFrame, FrameType } from '../../../src/protocol';
import {
  describeTlsError,
  TlsTransport,
  type Connection,
  type Listener,
  type TlsClientOptions,
  type TlsServerOptions,
} from '../../../src/transport';
import { formatDistinguishedName, splitSubjectAltName } from '../../../src/transport/tls/certificate-identity';
import { waitFor } from '../../helpers/apps';
import { testCerts, type TestCerts } from '../../helpers/certs';
import { configError } from '../../helpers/config-error';

const HOST = '127.0.0.1';

let certs: TestCerts;

beforeAll(async () => {
  certs = await testCerts();
});

interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

/** A connection with its frames recorded and its close awaitable. */
interface Observed {
  conn: Connection;
  frames: Frame[];
  closed: Promise<string | undefined>;
}

// Everything a test opened, torn down after it, so nothing outlives the file.
const connections: Connection[] = [];
const listeners: Listener[] = [];
const plainServers: net.Server[] = [];
const plainSockets = new Set<net.Socket>();

afterEach(async () => {
  const closing = connections.splice(0).map((conn) => {
    if (conn.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => conn.attach({ onFrame: () => {}, onClose: () => resolve() }));
    conn.destroy();
    return done;
  });
  await Promise.all(closing);
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  for (const socket of plainSockets) socket.destroy();
  plainSockets.clear();
  await Promise.all(plainServers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function observe(conn: Connection, onFrame?: (frame: Frame, conn: Connection) => void): Observed {
  const frames: Frame[] = [];
  const closed = new Promise<string | undefined>((resolve) => {
    conn.attach({
      onFrame: (type, _flags, id, payload) => {
        // The payload may be a view into a socket chunk; keep a copy.
        const frame = { type, id, payload: Buffer.from(payload) };
        frames.push(frame);
        onFrame?.(frame, conn);
      },
      onClose: resolve,
    });
  });
  return { conn, frames, closed };
}

const echo = (frame: Frame, conn: Connection) => conn.send(encodeFrame(FrameType.PONG, 0, frame.id, frame.payload));

interface Started {
  port: number;
  accepted: Connection[];
  refusals: Array<{ reason: string; remoteAddress: string; tlsReason: string | undefined }>;
}

/** Listens on 127.0.0.1:0 with `server` options; `onAccept` gets each connection (default: echo). */
async function startServer(server: Omit<TlsServerOptions, 'onRefused'>, onAccept?: (conn: Connection) => void): Promise<Started> {
  const started: Started = { port: 0, accepted: [], refusals: [] };
  const transport = new TlsTransport({
    server: {
      ...server,
      onRefused: (reason, remoteAddress, tls) => started.refusals.push({ reason, remoteAddress, tlsReason: tls?.reason }),
    },
  });
  const listener = await transport.listen(HOST, 0, (conn) => {
    connections.push(conn);
    started.accepted.push(conn);
    if (onAccept) onAccept(conn);
    else observe(conn, echo);
  });
  listeners.push(listener);
  started.port = listener.port;
  return started;
}

async function connect(port: number, client: TlsClientOptions, host = HOST): Promise<Connection> {
  const conn = await new TlsTransport({ client }).connect(host, port);
  connections.push(conn);
  return conn;
}

/** Expects `promise` to reject and returns the error. */
async function rejection(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('expected a rejection');
}

/** A plain TCP server (no TLS) on 127.0.0.1:0 that runs `onSocket` for each connection. */
async function startPlainServer(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    plainSockets.add(socket);
    onSocket(socket);
  });
  plainServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('TlsTransport', () => {
  const serverOf = (pair: { key: string; cert: string }) => ({ key: pair.key, cert: pair.cert });

  it('carries frames both ways inside the TLS session, small and large', async () => {
    const big = Buffer.alloc(1024 * 1024, 7);
    const server = await startServer(serverOf(certs.server), (conn) => {
      conn.setMaxIncomingFrameBytes(2 * big.length);
      observe(conn, echo);
    });
    const client = observe(await connect(server.port, { ca: certs.ca }));
    client.conn.setMaxIncomingFrameBytes(2 * big.length);
    const payloads = [Buffer.from('one'), Buffer.alloc(0), big, Buffer.from('last')];
    payloads.forEach((p, i) => client.conn.send(encodeFrame(FrameType.PING, 0, i + 1, p)));
    await waitFor(() => client.frames.length === payloads.length, 5_000, 'echoes');
    expect(client.frames.map((f) => f.type)).toEqual(payloads.map(() => FrameType.PONG));
    expect(client.frames.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    // Buffer.equals: toEqual walks a 1 MiB buffer byte by byte, which takes seconds.
    expect(client.frames.map((f, i) => f.payload.equals(payloads[i]))).toEqual([true, true, true, true]);
  });

  it('keeps the bytes a client sends before the server attaches', async () => {
    const server = await startServer(serverOf(certs.server), () => {});
    const client = observe(await connect(server.port, { ca: certs.ca }));
    client.conn.send(encodeFrame(FrameType.PING, 0, 1, Buffer.from('early')));
    client.conn.send(encodeFrame(FrameType.PING, 0, 2, Buffer.from('bird')));
    await waitFor(() => server.accepted.length === 1, 5_000, 'the server connection');
    // Give the frames time to reach the unattached socket; the assertion holds either way.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const serverSide = observe(server.accepted[0]);
    await waitFor(() => serverSide.frames.length === 2, 5_000, 'both frames');
    expect(serverSide.frames.map((f) => f.payload.toString())).toEqual(['early', 'bird']);
  });

  it('verifies the server by IP SAN for an IP host and by DNS SAN for a name', async () => {
    const server = await startServer(serverOf(certs.server));
    const byIp = await connect(server.port, { ca: certs.ca }, HOST);
    const byName = await connect(server.port, { ca: certs.ca }, 'localhost');
    expect(byIp.peerIdentity?.subject).toBe('CN=localhost');
    expect(byName.peerIdentity?.san).toEqual(['IP Address:127.0.0.1', 'DNS:localhost']);
    expect(server.accepted[0].peerIdentity).toBeUndefined();
  });

  it('checks the server certificate against servername when one is given', async () => {
    const server = await startServer(serverOf(certs.wrongHostServer));
    const conn = await connect(server.port, { ca: certs.ca, servername: 'other.example' });
    expect(conn.peerIdentity?.san).toEqual(['DNS:other.example']);
  });

  describe('mutual TLS', () => {
    const mtls = () => ({ ...serverOf(certs.server), ca: certs.ca, requestCert: true });

    it('accepts a client certificate signed by the CA and exposes its verified identity', async () => {
      const server = await startServer(mtls());
      const client = observe(await connect(server.port, { ca: certs.ca, key: certs.alice.key, cert: certs.alice.cert }));
      client.conn.send(encodeFrame(FrameType.PING, 0, 9, Buffer.from('hi')));
      await waitFor(() => client.frames.length === 1, 5_000, 'the echo');
      expect(server.accepted[0].peerIdentity).toEqual({
        subject: 'CN=alice,O=Rivet',
        san: ['DNS:alice.local', 'URI:spiffe://rivet.test/alice'],
        fingerprint256: new X509Certificate(certs.alice.cert).fingerprint256,
      });
      expect(server.refusals).toEqual([]);
    });

    /**
     * Tries a client and reports how it was turned away. Under TLS 1.3 the client finishes its
     * side of the handshake before the server has checked its certificate, so connect may
     * resolve and the refusal then arrives as the connection closing.
     */
    async function refusedClient(port: number, client: TlsClientOptions): Promise<unknown> {
      let conn: Connection;
      try {
        conn = await connect(port, client);
      } catch (err) {
        return err;
      }
      const observed = observe(conn);
      conn.send(encodeFrame(FrameType.PING, 0, 1, Buffer.from('let me in')));
      return (await observed.closed) ?? 'closed without a reason';
    }

    it('refuses a client without a certificate before reading a frame, and says why', async () => {
      const server = await startServer(mtls());
      const failure = await refusedClient(server.port, { ca: certs.ca });
      expect(describeTlsError(failure)).toEqual({ tlsCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', reason: 'certificate-required' });
      await waitFor(() => server.refusals.length === 1, 5_000, 'the refusal');
      expect(server.refusals[0]).toEqual({
        reason: 'client sent no certificate (ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE)',
        remoteAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        tlsReason: 'certificate-required',
      });
      expect(server.accepted).toEqual([]);
    });

    it('refuses a client whose certificate comes from another CA, and says why', async () => {
      const server = await startServer(mtls());
      await refusedClient(server.port, { ca: certs.ca, key: certs.stranger.key, cert: certs.stranger.cert });
      await waitFor(() => server.refusals.length === 1, 5_000, 'the refusal');
      expect(server.refusals[0]).toEqual({
        reason: 'client certificate refused (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
        // Node destroys the socket before reporting this one, so the address may be gone.
        remoteAddress: expect.stringMatching(/^(unknown|127\.0\.0\.1:\d+)$/),
        tlsReason: 'unknown-ca',
      });
      expect(server.accepted).toEqual([]);
    });
  });

  describe('connect failures', () => {
    it('rejects with CERT_HAS_EXPIRED for an expired server certificate', async () => {
      const server = await startServer(serverOf(certs.expiredServer));
      const err = await rejection(connect(server.port, { ca: certs.ca }));
      expect(err.code).toBe('CERT_HAS_EXPIRED');
      expect(err.message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: certificate has expired$/);
      expect(describeTlsError(err)).toEqual({ tlsCode: 'CERT_HAS_EXPIRED', reason: 'expired' });
    });

    it.each([
      ['signed by an unknown CA', 'untrustedServer', { ca: 'ca' }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      ['chained to an untrusted self-signed root', 'untrustedChainServer', { ca: 'ca' }, 'SELF_SIGNED_CERT_IN_CHAIN'],
      ['from a private CA, checked against the default roots', 'server', {}, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ] as const)('rejects a server certificate %s as unknown-ca', async (_name, serverCert, client, code) => {
      const server = await startServer(serverOf(certs[serverCert]));
      const err = await rejection(connect(server.port, 'ca' in client ? { ca: certs.ca } : {}));
      expect(err.code).toBe(code);
      expect(describeTlsError(err)).toEqual({ tlsCode: code, reason: 'unknown-ca' });
    });

    it('rejects with ERR_TLS_CERT_ALTNAME_INVALID when the certificate names another host', async () => {
      const server = await startServer(serverOf(certs.wrongHostServer));
      const err = await rejection(connect(server.port, { ca: certs.ca }, 'localhost'));
      expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(describeTlsError(err)).toEqual({ tlsCode: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: 'hostname-mismatch' });
    });

    it('rejects as not-tls when the port answers in plain text', async () => {
      const port = await startPlainServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
      const err = await rejection(connect(port, { ca: certs.ca }));
      expect(describeTlsError(err)?.reason).toBe('not-tls');
    });

    it('rejects as a handshake failure when the server hangs up mid-handshake', async () => {
      const port = await startPlainServer((socket) => socket.once('data', () => socket.destroy()));
      const err = await rejection(connect(port, { ca: certs.ca }));
      expect(describeTlsError(err)).toEqual({ tlsCode: 'ECONNRESET', reason: 'handshake' });
    });

    it('gives up when the signal aborts, even if the server never answers the handshake', async () => {
      const controller = new AbortController();
      const port = await startPlainServer(() => controller.abort());
      const transport = new TlsTransport({ client: { ca: certs.ca } });
      const err = await rejection(transport.connect(HOST, port, { signal: controller.signal }));
      expect(err.message).toBe('connect aborted');
      expect(describeTlsError(err)).toBeUndefined();
      await expect(transport.connect(HOST, port, { signal: controller.signal })).rejects.toThrow('connect aborted');
    });
  });

  it('tells onRefused about a client that speaks plain Rivet to the TLS port', async () => {
    const server = await startServer(serverOf(certs.server));
    const socket = net.connect({ host: HOST, port: server.port });
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const hello = encodeFrame(FrameType.HELLO, 0, 0, Buffer.from('{"v":[1]}'));
    socket.write(Buffer.isBuffer(hello) ? hello : Buffer.concat(hello));
    await closed;
    await waitFor(() => server.refusals.length === 1, 5_000, 'the refusal');
    expect(server.refusals[0].reason).toMatch(/^handshake failed: .+ \(ERR_SSL_[A-Z_]+\)$/);
    expect(server.accepted).toEqual([]);
  });

  it('ends connections still in their handshake when the listener closes', async () => {
    const server = await startServer(serverOf(certs.server));
    const silent = net.connect({ host: HOST, port: server.port });
    silent.on('error', () => {});
    const closed = new Promise((resolve) => silent.once('close', resolve));
    await new Promise((resolve) => silent.once('connect', resolve));
    // One byte of a TLS record header: the server has now accepted the socket and waits for more.
    silent.write(Buffer.from([0x16]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await listeners[0].close();
    await closed;
    expect(server.accepted).toEqual([]);
  });
});

describe('TlsTransport options', () => {
  const server = () => ({ key: certs.server.key, cert: certs.server.cert });

  it.each([
    ['a missing key', () => ({ cert: certs.server.cert }), /TlsTransport\.server\.key is required/],
    ['a file path for cert', () => ({ key: certs.server.key, cert: './certs/server.crt' }), /TlsTransport\.server\.cert must be PEM text .* not a file path/],
    ['a number for key', () => ({ ...server(), key: 42 }), /TlsTransport\.server\.key must be PEM text as a string or Buffer, got number/],
    ['a minVersion that is not offered', () => ({ ...server(), minVersion: 'TLSv1.1' }), /TlsTransport\.server\.minVersion must be one of 'TLSv1\.2', 'TLSv1\.3'/],
    ['a requestCert that is not a boolean', () => ({ ...server(), ca: certs.ca, requestCert: 'yes' }), /TlsTransport\.server\.requestCert must be true or false/],
    ['requestCert without ca', () => ({ ...server(), requestCert: true }), /requestCert needs TlsTransport\.server\.ca/],
    ['a misspelt key', () => ({ ...server(), requestCerts: true }), /unknown key 'requestCerts'; did you mean 'requestCert'\?/],
    ['a key that does not match the cert', () => ({ key: certs.alice.key, cert: certs.server.cert }), /could not load the key, cert or ca \(key values mismatch\)/],
    ['an onRefused that is not a function', () => ({ ...server(), onRefused: 'log' }), /onRefused must be a function/],
  ])('refuses server options with %s, naming the option', (_name, make, message) => {
    const err = configError(() => new TlsTransport({ server: make() as TlsServerOptions }));
    expect(err.code).toMatch(/^RIVET_ERR_(INVALID|UNKNOWN)_OPTION$/);
    expect(err.message).toMatch(message);
  });

  it.each([
    ['a cert without its key', () => ({ cert: certs.alice.cert }), /needs both cert and key/],
    ['an IP address as servername', () => ({ servername: '10.0.0.1' }), /servername must be a DNS name/],
    ['an empty ca list', () => ({ ca: [] }), /TlsTransport\.client\.ca must not be an empty array/],
    ['a rejectUnauthorized that is not a boolean', () => ({ rejectUnauthorized: 0 }), /rejectUnauthorized must be true or false/],
  ])('refuses client options with %s', (_name, make, message) => {
    const err = configError(() => new TlsTransport({ client: make() as TlsClientOptions }));
    expect(err.message).toMatch(message);
  });

  it('rejects listen when it has no server options', async () => {
    await expect(new TlsTransport().listen(HOST, 0, () => {})).rejects.toThrow(/has no server options/);
  });
});

describe('certificate identity formatting', () => {
  it('writes a subject in certificate order, escaping RFC 4514 specials and repeating multi-valued attributes', () => {
    expect(formatDistinguishedName({ CN: 'bob', OU: ['a', 'b'], O: 'Rivet, Inc. <eu>' })).toBe('CN=bob,OU=a,OU=b,O=Rivet\\, Inc. \\<eu\\>');
    expect(formatDistinguishedName({ CN: ' #lead', O: 'trail ' })).toBe('CN=\\ #lead,O=trail\\ ');
  });

  it('splits subjectaltname on its separators but not inside quoted values', () => {
    expect(splitSubjectAltName('DNS:a.example, URI:"spiffe://x/a, b", IP Address:10.0.0.1')).toEqual([
      'DNS:a.example',
      'URI:spiffe://x/a, b',
      'IP Address:10.0.0.1',
    ]);
    expect(splitSubjectAltName(undefined)).toEqual([]);
  });
});

describe('describeTlsError', () => {
  it('reads the code from a connection close reason', () => {
    expect(describeTlsError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: tlsv1 alert unknown ca')).toEqual({
      tlsCode: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      reason: 'certificate-rejected',
    });
  });

  it('looks through the cause of an RpcError', () => {
    const cause = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    const err = new RpcError('UNAVAILABLE', 'connect failed', undefined, { cause });
    expect(describeTlsError(err)).toEqual({ tlsCode: 'CERT_HAS_EXPIRED', reason: 'expired' });
  });

  it('returns undefined for failures that are not TLS', () => {
    expect(describeTlsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(describeTlsError('ECONNRESET: read ECONNRESET')).toBeUndefined();
    expect(describeTlsError(undefined)).toBeUndefined();
  });
});
