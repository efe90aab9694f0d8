import type { Logger } from 'pino';
import { ErrorReason, RpcError } from '../../errors';
import {
  type Codec,
  type CodecName,
  createCodec,
  encodeFrame,
  encodeHandshake,
  FrameType,
  hasFeature,
  parseHelloAck,
  SUPPORTED_VERSIONS,
  type ServiceDescriptor,
  STREAM_RECORDS_FEATURE,
  STREAMS_FEATURE,
  SUPPORTED_FEATURES,
} from '../../protocol';
import { type Connection, describeTlsError, type Transport } from '../../transport';
import { abortable, connectError, notProcessed } from './connect-errors';

/** What connect and handshake need; the channel's options carry them. */
export interface SessionOptions {
  transport: Transport;
  /** Codecs offered in the handshake, preferred first. */
  codecs: readonly CodecName[];
  /** The largest reply payload this client accepts. */
  maxFrameBytes: number;
  /** How long connect plus handshake may take. */
  connectTimeoutMs: number;
  logger: Logger;
}

/** A connection that agreed on the protocol: what a channel needs to send calls on it. */
export interface Session {
  readonly conn: Connection;
  readonly codec: Codec;
  /** The agreed protocol version: 2 sends the admission head ahead of the arguments (docs/PROTOCOL.md). */
  readonly version: number;
  /** The largest request payload the server accepts. */
  readonly peerMaxFrameBytes: number;
  /** What the server advertised, per service (empty when it advertises no methods). */
  readonly services: Record<string, ServiceDescriptor>;
  /** Both sides speak streams (the HELLO_ACK listed the `streams` feature). */
  readonly streams: boolean;
  /** Stream messages use a codec per stream (the HELLO_ACK listed `stream-records`; Codec.forStream). */
  readonly streamRecords: boolean;
  /** The server sent DRAIN with (or right after) its HELLO_ACK: it takes no calls on this connection. */
  readonly draining: boolean;
  /** Set when the connection closed before the channel took it over. */
  readonly lostWith: { reason: string | undefined } | undefined;
}

/**
 * Connects to `host:port` and runs the client's half of the handshake (HELLO, then HELLO_ACK):
 * the one place a connection is opened. Rejects with a `notProcessed` UNAVAILABLE RpcError
 * (CONNECT_FAILED, TLS, HANDSHAKE_FAILED, or CLIENT_CLOSED when `cancel` aborts), having destroyed
 * the connection; resolves with the session, whose connection the caller then attaches to.
 * Until it does, a PING is answered and a DRAIN or a close is recorded in the session.
 */
export async function openSession(host: string, port: number, address: string, opts: SessionOptions, cancel: AbortSignal): Promise<Session> {
  const timeout = AbortSignal.timeout(opts.connectTimeoutMs);
  const signal = AbortSignal.any([timeout, cancel]);
  const closedError = (): RpcError => notProcessed('client closed', ErrorReason.CLIENT_CLOSED);
  let conn: Connection;
  try {
    conn = await opts.transport.connect(host, port, { signal });
  } catch (err) {
    if (cancel.aborted) throw closedError();
    if (timeout.aborted && describeTlsError(err) === undefined) {
      throw notProcessed(`cannot connect to ${address}: no connection within connectTimeoutMs (${opts.connectTimeoutMs} ms)`, ErrorReason.CONNECT_FAILED, err);
    }
    throw connectError(address, err);
  }
  if (cancel.aborted) {
    conn.destroy();
    throw closedError();
  }
  const handshake = new Handshake(conn, address, opts.logger);
  // The HELLO_ACK lists every method of the server, which can outgrow the 64 KiB a server
  // allows for a HELLO; the client chose this server, so it takes its own full limit at once.
  conn.setMaxIncomingFrameBytes(opts.maxFrameBytes);
  conn.send(
    encodeFrame(FrameType.HELLO, 0, 0, encodeHandshake({ rivet: true, versions: [...SUPPORTED_VERSIONS], codecs: [...opts.codecs], maxFrameBytes: opts.maxFrameBytes, features: [...SUPPORTED_FEATURES] })),
  );
  try {
    return await abortable(handshake.agreed, signal, () =>
      cancel.aborted ? closedError() : notProcessed(`handshake with ${address} timed out`, ErrorReason.HANDSHAKE_FAILED),
    );
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

/** The connection's receiver while the handshake runs, and until the channel takes it over. */
class Handshake {
  readonly agreed: Promise<Session>;
  private resolve!: (s: Session) => void;
  private reject!: (err: RpcError) => void;
  private session: { -readonly [K in keyof Session]: Session[K] } | null = null;
  private drained = false;

  constructor(
    private readonly conn: Connection,
    private readonly address: string,
    private readonly log: Logger,
  ) {
    this.agreed = new Promise<Session>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    conn.attach({ onFrame: (type, _flags, id, payload) => this.onFrame(type, id, payload), onClose: (reason) => this.onClose(reason) });
  }

  private onFrame(type: number, id: number, payload: Buffer): void {
    switch (type) {
      case FrameType.HELLO_ACK:
        if (this.session === null) this.onHelloAck(payload);
        return;
      case FrameType.DRAIN:
        // HELLO_ACK and DRAIN can arrive together, before the channel has taken the connection.
        this.drained = true;
        if (this.session !== null) this.session.draining = true;
        return;
      case FrameType.PING:
        this.conn.send(encodeFrame(FrameType.PONG, 0, id));
        return;
      case FrameType.PONG:
        return;
      default:
        this.log.warn({ frameType: type }, 'closing connection: unexpected frame type');
        this.conn.destroy(`unexpected frame type ${type}`);
    }
  }

  private onHelloAck(payload: Buffer): void {
    const ack = parseHelloAck(payload);
    if ('error' in ack) {
      this.log.warn({ reason: ack.error }, 'handshake refused');
      this.reject(notProcessed(`handshake with ${this.address} refused: ${ack.error}`, ErrorReason.HANDSHAKE_FAILED));
      return;
    }
    this.session = {
      conn: this.conn,
      codec: createCodec(ack.codec),
      version: ack.version,
      peerMaxFrameBytes: ack.maxFrameBytes,
      services: ack.services,
      streams: hasFeature(ack, STREAMS_FEATURE),
      streamRecords: hasFeature(ack, STREAM_RECORDS_FEATURE),
      draining: this.drained,
      lostWith: undefined,
    };
    this.resolve(this.session);
  }

  private onClose(reason: string | undefined): void {
    if (this.session !== null) {
      this.session.lostWith = { reason };
      return;
    }
    // Under TLS 1.3 a server refusing our certificate closes the connection after it opened.
    const tls = reason === undefined ? undefined : describeTlsError(reason);
    this.reject(
      tls !== undefined
        ? new RpcError('UNAVAILABLE', `TLS refused by ${this.address}: ${reason}`, { reason: ErrorReason.TLS, tls }, { notProcessed: true })
        : notProcessed(`connection to ${this.address} closed during the handshake${reason ? `: ${reason}` : ''}`, ErrorReason.HANDSHAKE_FAILED),
    );
  }
}

/** Ends `conn` (flushing what is queued); resolves once it is closed, within a second at most. */
export function closeGracefully(conn: Connection): Promise<void> {
  return new Promise((resolve) => {
    if (conn.closed) {
      resolve();
      return;
    }
    // A peer that never acknowledges the FIN must not hold close() open.
    const timer = setTimeout(() => conn.destroy('close timed out'), 1_000);
    conn.attach({
      onFrame: () => {},
      onClose: () => {
        clearTimeout(timer);
        resolve();
      },
    });
    conn.end();
  });
}
