import type { LivenessOptions } from './liveness';
import type { FrameHandler } from '../protocol';

/** The verified subject of a peer's TLS certificate (structurally the same as call/'s PeerIdentity). */
export interface CertificateIdentity {
  subject: string;
  san: string[];
  fingerprint256: string;
}

/** What a connection tells its owner. */
export interface ConnectionEvents {
  /** One decoded frame. */
  onFrame: FrameHandler;
  /**
   * The connection is closed, for whatever reason; called exactly once. `reason` is set when it
   * did not close cleanly (socket error, framing error).
   */
  onClose(reason?: string): void;
}

/**
 * A framed, full-duplex connection. Frames go out through a batching outbox; frames come in
 * through the handler set with `attach`.
 */
export interface Connection {
  /** A small number unique in this process, for logs. */
  readonly id: number;
  /** `'host:port'` of the other side. */
  readonly remoteAddress: string;
  /** The verified identity of the peer's certificate, on TLS transports. */
  readonly peerIdentity: CertificateIdentity | undefined;
  /** True once closed. */
  readonly closed: boolean;
  /** Sets (or replaces) the receiver of frames and close. Bytes that arrive before the first attach wait in the socket. */
  attach(events: ConnectionEvents): void;
  /** Starts (or replaces) keepalive pings and idle closing; see LivenessOptions. */
  watchLiveness(opts: LivenessOptions): void;
  /** The largest incoming payload accepted; larger frames close the connection. */
  setMaxIncomingFrameBytes(bytes: number): void;
  /** Queues an encoded frame (see encodeFrame). Never throws; dropped when closed. */
  send(frame: Buffer | readonly Buffer[]): void;
  /**
   * Queues a stream message's frame. It is batched by bytes only: the cap on frames per write that
   * keeps requests and replies overlapping does not apply to one stream's flow of messages, where
   * every write would only cost a syscall (see Outbox.pushData).
   */
  sendStreamData(frame: Buffer): void;
  /**
   * Sends a frame now, with whatever is queued before it, rather than at the end of the tick: for a
   * frame the peer waits on while this side still has work to do (a stream's credit, granted
   * while the consumer has half a window left to read, lets the sender refill meanwhile).
   */
  sendNow(frame: Buffer): void;
  /** Flushes what is queued, then closes the write side. The connection reports close when both ends are done. */
  end(): void;
  /** Closes at once, dropping anything queued. */
  destroy(reason?: string): void;
}

/** A bound server socket. */
export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting connections; existing ones live on. */
  close(): Promise<void>;
}

/** Connect options. */
export interface ConnectOptions {
  /** Gives up connecting when this aborts. */
  signal?: AbortSignal;
}

/**
 * The seam to a byte transport: TCP here, TLS or an in-memory pair elsewhere. Errors from
 * `connect` are plain Errors with Node's `code` where there is one (ECONNREFUSED); the client
 * turns them into RpcErrors.
 */
export interface Transport {
  connect(host: string, port: number, opts?: ConnectOptions): Promise<Connection>;
  listen(host: string, port: number, onConnection: (conn: Connection) => void): Promise<Listener>;
}
