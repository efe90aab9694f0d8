import * as tls from 'node:tls';
import { RivetConfigError, RivetErrorCode } from '../../errors';
import { formatAddress, optionsObject, rejectUnknownKeys } from '../../util';
import { StreamConnection } from '../stream-connection';
import type { ConnectOptions, Connection, Listener, Transport } from '../transport';
import { certificateIdentity } from './certificate-identity';
import { describeTlsError, TLS_HANDSHAKE_ERROR } from './describe-tls-error';
import {
  isIpLiteral,
  resolvedTlsOptionsKind,
  resolveTlsClientOptions,
  resolveTlsServerOptions,
  type ResolvedTlsClientOptions,
  type ResolvedTlsServerOptions,
  type TlsClientOptions,
  type TlsServerOptions,
} from './tls-options';

/** Options of a {@link TlsTransport}: one side, the other, or both (an app both serves and calls). */
export interface TlsTransportOptions {
  /** What `listen` uses. Without it, `listen` rejects. */
  server?: TlsServerOptions | ResolvedTlsServerOptions;
  /** What `connect` uses. Default: Node's root CAs, no client certificate. */
  client?: TlsClientOptions | ResolvedTlsClientOptions;
}

const TRANSPORT_KEYS = ['server', 'client'] as const;

/**
 * TLS over TCP. The Rivet handshake and every frame run inside the TLS session: `connect`
 * resolves after 'secureConnect', and a server connection is handed on after
 * 'secureConnection'. With `server.requestCert` (mTLS) a client without a certificate signed
 * by `server.ca` is refused before a single Rivet byte is read, and the verified identity of
 * an accepted one is the server-side connection's `peerIdentity`. One instance serves both
 * sides of an app. Options are validated and the keys parsed in the constructor, which throws
 * RivetConfigError.
 */
export class TlsTransport implements Transport {
  private readonly server: ResolvedTlsServerOptions | undefined;
  private readonly client: ResolvedTlsClientOptions;

  constructor(options: TlsTransportOptions = {}) {
    const o = optionsObject('TlsTransport options', options);
    rejectUnknownKeys('TlsTransport options', o, TRANSPORT_KEYS);
    this.server =
      o.server === undefined
        ? undefined
        : resolvedTlsOptionsKind(o.server) === 'server'
          ? (o.server as ResolvedTlsServerOptions)
          : resolveTlsServerOptions(o.server, 'TlsTransport.server');
    this.client =
      resolvedTlsOptionsKind(o.client) === 'client'
        ? (o.client as ResolvedTlsClientOptions)
        : resolveTlsClientOptions(o.client, 'TlsTransport.client');
  }

  /**
   * Opens a TLS connection and resolves once the session is up and the server's certificate
   * verified. Rejects with Node's error for a TCP failure (ECONNREFUSED), and with an Error that
   * keeps Node's TLS `code` (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ...) for a handshake
   * failure (a server that hangs up mid-handshake included); describeTlsError classifies it.
   * Rejects with 'connect aborted' when `opts.signal` aborts, so it never outlives its signal.
   * The connection's `peerIdentity` is the server certificate's, when it was verified.
   */
  connect(host: string, port: number, opts?: ConnectOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const signal = opts?.signal;
      if (signal?.aborted) {
        reject(new Error('connect aborted'));
        return;
      }
      const address = formatAddress(host, port);
      const c = this.client;
      const socket = tls.connect({
        host,
        port,
        secureContext: c.secureContext,
        // Node forbids an IP address as SNI; an IP host is checked against the IP SANs instead.
        servername: c.servername ?? (isIpLiteral(host) ? undefined : host),
        rejectUnauthorized: c.rejectUnauthorized,
      });
      let tcpConnected = false;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(err);
      };
      const onAbort = () => fail(new Error('connect aborted'));
      // Stays attached after a failure: a second error from the dying socket must not go unhandled.
      const onError = (err: NodeJS.ErrnoException) => fail(tcpConnected ? handshakeError(err, address) : err);
      const onClose = () => fail(closedError(tcpConnected, address));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', onError);
      socket.once('close', onClose);
      socket.once('connect', () => {
        tcpConnected = true;
        // Frames are already batched by the outbox; Nagle would only add latency.
        socket.setNoDelay(true);
      });
      socket.once('secureConnect', () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        resolve(new StreamConnection(socket, address, certificateIdentity(socket)));
      });
    });
  }

  /**
   * Listens for TLS connections and hands each one on once its session is up. Rejects with
   * RivetConfigError when the transport has no server options, and with Node's error when the
   * address cannot be bound.
   */
  listen(host: string, port: number, onConnection: (conn: Connection) => void): Promise<Listener> {
    const s = this.server;
    if (s === undefined) {
      return Promise.reject(
        new RivetConfigError(
          RivetErrorCode.RIVET_ERR_INVALID_OPTION,
          'TlsTransport has no server options, so it cannot listen; pass new TlsTransport({ server: { key, cert } }).',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const server = tls.createServer({
        key: s.key,
        cert: s.cert,
        ca: s.ca,
        minVersion: s.minVersion,
        requestCert: s.requestCert,
        // With requestCert, OpenSSL aborts the handshake when the client sends no certificate,
        // and Node destroys the socket before 'secureConnection' when the certificate does not
        // verify against `ca`. Without it, no certificate is asked for.
        rejectUnauthorized: s.requestCert,
        noDelay: true,
      });
      // Sockets still in their handshake, by the peer's 'host:port'. Rivet's server never sees
      // them, so close() ends them itself; otherwise one silent client would hold the process
      // open until Node's handshake timeout (120 s).
      const handshaking = new Map<string, RawSocket>();
      server.on('connection', (raw: RawSocket) => {
        const key = `${raw.remoteAddress}:${raw.remotePort}`;
        handshaking.set(key, raw);
        raw.once('close', () => {
          if (handshaking.get(key) === raw) handshaking.delete(key);
        });
      });
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        handshaking.delete(`${socket.remoteAddress}:${socket.remotePort}`);
        // Node has already refused an unverified client; this keeps that promise local.
        if (s.requestCert && !socket.authorized) {
          socket.destroy();
          return;
        }
        // No pauseOnConnect needed: a TLS socket stays in paused mode until StreamConnection
        // attaches, so application bytes that came with the handshake wait in its buffer.
        const address = formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
        onConnection(new StreamConnection(socket, address, s.requestCert ? certificateIdentity(socket) : undefined));
      });
      server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
        if (s.onRefused === undefined) return;
        const verifyCode = authorizationCode(socket);
        const remote = socket.remoteAddress === undefined ? 'unknown' : formatAddress(socket.remoteAddress, socket.remotePort ?? 0);
        try {
          s.onRefused(refusalReason(err, verifyCode), remote, describeTlsError(verifyCode === undefined ? err : { code: verifyCode }));
        } catch {
          // A listener that throws would otherwise escape from inside Node's socket handling.
        }
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        // A listener error after bind (EMFILE on accept) must not crash the process.
        server.on('error', () => {});
        const addr = server.address() as { address: string; port: number };
        resolve({
          host: addr.address,
          port: addr.port,
          // As with TCP: stop accepting now; the handle finishes closing when the last
          // connection ends, which the server side of Rivet drives itself for the connections
          // it was handed, and this does for those still in their handshake.
          close: async () => {
            if (server.listening) server.close();
            for (const raw of handshaking.values()) raw.destroy();
            handshaking.clear();
          },
        });
      });
    });
  }
}

/** The TCP socket under a TLS one, as far as listen needs it (node:net itself belongs to tcp/). */
interface RawSocket {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** OpenSSL's short reason ('certificate verify failed') when the error has one, else its message. */
function opensslReason(err: Error): string {
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : err.message;
}

/** A handshake failure as an Error that keeps Node's code and is marked for describeTlsError. */
function handshakeError(err: NodeJS.ErrnoException, address: string): Error {
  // OpenSSL errors carry a readable `reason` ('tlsv13 alert certificate required'); their
  // message also holds the library's file and line, which means nothing to a caller.
  const out = new Error(`TLS handshake with ${address} failed: ${opensslReason(err)}`, { cause: err }) as NodeJS.ErrnoException & {
    [TLS_HANDSHAKE_ERROR]?: true;
  };
  if (err.code !== undefined) out.code = err.code;
  out[TLS_HANDSHAKE_ERROR] = true;
  return out;
}

// Node reports a close during the handshake as an error first; this covers a close without one,
// so that connect settles whatever the order of events.
function closedError(tcpConnected: boolean, address: string): Error {
  const err: NodeJS.ErrnoException = new Error('the connection closed');
  err.code = 'ECONNRESET';
  return tcpConnected ? handshakeError(err, address) : err;
}

// Node types authorizationError as an Error, but sets it to OpenSSL's verify code string.
function authorizationCode(socket: tls.TLSSocket): string | undefined {
  const v = socket.authorizationError as unknown;
  if (typeof v === 'string') return v;
  if (v instanceof Error) return (v as NodeJS.ErrnoException).code ?? v.message;
  return undefined;
}

function refusalReason(err: NodeJS.ErrnoException, verifyCode: string | undefined): string {
  // Node destroys a socket whose certificate failed verification and reports only a hang-up;
  // the verification result is what explains the refusal.
  if (verifyCode !== undefined) return `client certificate refused (${verifyCode})`;
  const code = err.code ?? 'no code';
  switch (err.code) {
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
      return `client sent no certificate (${code})`;
    case 'ERR_TLS_HANDSHAKE_TIMEOUT':
      return `handshake timed out (${code})`;
    case 'ECONNRESET':
      return `client hung up during the handshake (${code})`;
    default:
      return `handshake failed: ${opensslReason(err)} (${code})`;
  }
}
