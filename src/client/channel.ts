import type { Logger } from 'pino';
import type { EndpointState } from '../balancer';
import * as callLayer from '../call';
import { ErrorReason, RpcError } from '../errors';
import * as protocol from '../protocol';
import type { LoadReport } from '../protocol';
import type { Codec, CodecName, ServiceDescriptor } from '../protocol';
import { type Connection, describeTlsError, KEEPALIVE_TIMEOUT_REASON, type Transport } from '../transport';
import { IdTable, jitteredBackoffMs, turnNowMs } from '../util';
import type { AbortWatcher, ClientCall } from './client-call';

// Read once at load. TypeScript compiles a re-export to a getter, on an exports object V8 keeps in
// dictionary mode, so each use on the hot path was a getter call and a dictionary lookup
// (docs/performance.md has what binding them bought).
const { remainingMs } = callLayer;
const {
  createCodec,
  decodeError,
  encodeFrame,
  encodeHandshake,
  encodeRequestFramed,
  finishFrame,
  FRAME_HEADER_BYTES,
  FrameFlags,
  FrameType,
  parseHelloAck,
  SUPPORTED_VERSIONS,
  encodeRequestV2Framed,
  LOAD_REPORT_BYTES,
  readLoadReport,
} = protocol;

/** First reconnect delay after a failed connect: 100 ms, doubling up to RECONNECT_MAX_MS. */
export const RECONNECT_INITIAL_MS = 100;
/** The longest reconnect delay: 10 s. */
export const RECONNECT_MAX_MS = 10_000;

// How fast the latency average forgets: a sample this old weighs 1/e. Short enough that a
// recovered endpoint is trusted again within seconds.
const EWMA_DECAY_MS = 1_000;

/** What every channel of a client shares. */
export interface ChannelOptions {
  transport: Transport;
  /** Codecs offered in the handshake, preferred first. */
  codecs: readonly CodecName[];
  /** The largest reply payload this client accepts. */
  maxFrameBytes: number;
  /** How long connect plus handshake may take. */
  connectTimeoutMs: number;
  logger: Logger;
  /** Pings on quiet connections, to find dead servers; false turns them off. */
  keepalive: { intervalMs: number; timeoutMs: number } | false;
  /**
   * @internal for tests: the id of the channel's first request (default 1), so the u32
   * wrap-around of request ids can be reached without four billion calls.
   */
  firstRequestId?: number;
}

type LifeState = 'idle' | 'connecting' | 'ready' | 'draining' | 'closed';

const ABORT_LISTENER_OPTIONS = { once: true } as const;

/** One call waiting for its reply; told by its call when the call aborts. */
class Pending implements AbortWatcher {
  constructor(
    readonly channel: Channel,
    readonly id: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: RpcError) => void,
    readonly call: ClientCall,
    readonly sentAt: number,
  ) {}

  onCallAborted(): void {
    this.channel.cancel(this);
  }
}

/**
 * One multiplexed connection to one endpoint, shared by every call to it. Connects lazily on the
 * first call, reconnects lazily after a loss (with capped, jittered backoff after a failure),
 * and never leaves a call hanging: every pending call settles on reply, cancel or loss.
 */
export class Channel {
  private life: LifeState = 'idle';
  private conn: Connection | null = null;
  private codec: Codec | null = null;
  /** The agreed protocol version: 2 sends the admission head ahead of the arguments. */
  private version = 0;
  /** The server's load as its last reply reported it (protocol v2), or null before one arrives. */
  load: LoadReport | null = null;
  private peerMaxFrameBytes = 0;
  private connecting: Promise<void> | null = null;
  private handshake: { resolve: () => void; reject: (err: RpcError) => void } | null = null;
  private readonly pending = new IdTable<Pending>();
  private lastId = 0;
  private failures = 0;
  private retryAt = 0;
  private closedPromise: Promise<void> | null = null;
  private ewma = 0;
  private drainOnReady = false;
  private ewmaAt = 0;
  private lastFailure: RpcError | null = null;
  private retired = false;
  private readonly log: Logger;
  /** What the server advertised in its handshake, per service. */
  services: Record<string, ServiceDescriptor> = {};

  constructor(
    readonly host: string,
    readonly port: number,
    readonly address: string,
    private readonly opts: ChannelOptions,
  ) {
    this.log = opts.logger.child({ peer: address });
    if (opts.firstRequestId !== undefined) this.lastId = (opts.firstRequestId - 1) >>> 0;
  }

  /** Peak-EWMA of reply latency in ms (see EndpointView.ewmaMs). */
  get ewmaMs(): number {
    return this.ewma;
  }

  /** Milliseconds until a channel in reconnect backoff may connect again (0 when it may now). */
  get retryInMs(): number {
    const left = this.retryAt - Date.now();
    return left > 0 ? left : 0;
  }

  /**
   * Why the last connect (or handshake) to this endpoint failed, while that is still news: cleared
   * once a connection is up. A call that finds the endpoint backing off names this reason, as
   * grpc's "last error" does, instead of only "reconnecting".
   */
  get lastError(): RpcError | null {
    return this.lastFailure;
  }

  /** Calls sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The state as balancers see it. */
  get state(): EndpointState {
    if (this.life === 'idle' && this.retryAt > Date.now()) return 'backoff';
    return this.life;
  }

  /** Sends one attempt of a call; resolves with the decoded reply or rejects with an RpcError. */
  call(ctx: ClientCall): Promise<unknown> {
    if (this.life === 'ready') return this.send(ctx);
    return this.callWhenReady(ctx);
  }

  /** Closes for good: pending calls fail with UNAVAILABLE (CLIENT_CLOSED). */
  close(): Promise<void> {
    if (this.closedPromise !== null) return this.closedPromise;
    this.life = 'closed';
    this.failAll(new RpcError('UNAVAILABLE', 'client closed', { reason: ErrorReason.CLIENT_CLOSED }));
    const conn = this.conn;
    this.closedPromise = conn === null ? Promise.resolve() : closeConnection(conn);
    return this.closedPromise;
  }

  /** True once closed for good. */
  get isClosed(): boolean {
    return this.life === 'closed';
  }

  /**
   * The endpoint left the registry: closes now when nothing is in flight, else stops taking
   * calls and closes once the last reply is in (a server deregisters before it drains, so the
   * calls it is still answering must not be cut).
   */
  retire(): void {
    this.retired = true;
    if (this.life === 'connecting') this.drainOnReady = true;
    else if ((this.life === 'ready' || this.life === 'draining') && this.pending.size > 0) this.life = 'draining';
    else void this.close();
  }

  /** @internal a pending call was aborted: tell the server, and reject with the abort reason. */
  cancel(p: Pending): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    const reason = asRpcError(p.call.abortReason);
    // A call out of time needs no cancel frame: the server holds the same deadline and aborts the
    // handler itself with DEADLINE_EXCEEDED, where a cancel frame racing it would say CANCELLED.
    if (reason.code !== 'DEADLINE_EXCEEDED') this.conn?.send(encodeFrame(FrameType.CANCEL, 0, p.id));
    p.reject(reason);
    this.afterSettle();
  }

  private async callWhenReady(ctx: ClientCall): Promise<unknown> {
    if (this.life === 'closed') throw notProcessed('client closed', ErrorReason.CLIENT_CLOSED);
    if (this.life === 'draining') throw notProcessed(`${this.address} is draining`, ErrorReason.SERVER_DRAINING);
    if (this.life === 'idle') {
      if (this.retryAt > Date.now()) throw this.backoffError();
      this.connecting = this.connect();
    }
    await abortable(this.connecting as Promise<void>, ctx.signal); // connecting is rare: a real signal is fine
    if (this.life !== 'ready') throw notProcessed(`${this.address} is not ready`, ErrorReason.NO_READY_ENDPOINT);
    return this.send(ctx);
  }

  private send(ctx: ClientCall): Promise<unknown> {
    if (ctx.abortReason !== undefined) return Promise.reject(ctx.abortReason);
    const timeoutMs = ctx.deadline === undefined ? 0 : remainingMs(ctx.deadline, Date.now());
    if (ctx.deadline !== undefined && timeoutMs === 0) {
      return Promise.reject(new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded before the call was sent', { reason: ErrorReason.DEADLINE }, { notProcessed: true }));
    }
    const codec = this.codec as Codec;
    let frame: Buffer; // the payload behind room for the header, which is written once the id is known
    try {
      frame =
        this.version >= 2
          ? encodeRequestV2Framed(codec, ctx.service, ctx.method, ctx.args, hasKeys(ctx.metadata) ? ctx.metadata : null, timeoutMs)
          : encodeRequestFramed(codec, ctx.service, ctx.method, ctx.args, ctx.metadata, timeoutMs);
    } catch (err) {
      return Promise.reject(
        new RpcError('INVALID_ARGUMENT', `arguments could not be encoded: ${(err as Error).message}`, { reason: ErrorReason.ENCODE_FAILED }, { notProcessed: true }),
      );
    }
    const payloadBytes = frame.length - FRAME_HEADER_BYTES;
    if (payloadBytes > this.peerMaxFrameBytes) {
      return Promise.reject(
        new RpcError(
          'RESOURCE_EXHAUSTED',
          `request of ${payloadBytes} bytes exceeds the server's limit of ${this.peerMaxFrameBytes}`,
          { reason: ErrorReason.FRAME_TOO_LARGE },
          { notProcessed: true },
        ),
      );
    }
    const id = this.nextId();
    const conn = this.conn as Connection;
    return new Promise((resolve, reject) => {
      const p = new Pending(this, id, resolve, reject, ctx, turnNowMs());
      this.pending.set(id, p);
      ctx.watcher = p;
      conn.send(finishFrame(frame, FrameType.REQUEST, 0, id));
    });
  }

  private nextId(): number {
    // u32, never 0 (0 is for connection-level frames), never one still pending after a wrap.
    do {
      this.lastId = (this.lastId + 1) >>> 0 || 1;
    } while (this.pending.has(this.lastId));
    return this.lastId;
  }

  private async connect(): Promise<void> {
    this.life = 'connecting';
    const timeout = AbortSignal.timeout(this.opts.connectTimeoutMs);
    try {
      let conn: Connection;
      try {
        conn = await this.opts.transport.connect(this.host, this.port, { signal: timeout });
      } catch (err) {
        if (timeout.aborted && describeTlsError(err) === undefined) {
          throw notProcessed(`cannot connect to ${this.address}: no connection within connectTimeoutMs (${this.opts.connectTimeoutMs} ms)`, ErrorReason.CONNECT_FAILED, err);
        }
        throw connectError(this.address, err);
      }
      if ((this.life as LifeState) === 'closed') {
        conn.destroy();
        throw notProcessed('client closed', ErrorReason.CLIENT_CLOSED);
      }
      this.conn = conn;
      const agreed = new Promise<void>((resolve, reject) => {
        this.handshake = { resolve, reject };
      });
      conn.attach({
        onFrame: (type, flags, id, payload) => this.onFrame(conn, type, flags, id, payload),
        onClose: (reason) => this.onClose(conn, reason),
      });
      // The HELLO_ACK lists every method of the server, which can outgrow the 64 KiB a server
      // allows for a HELLO; the client chose this server, so it takes its own full limit at once.
      conn.setMaxIncomingFrameBytes(this.opts.maxFrameBytes);
      conn.send(
        encodeFrame(
          FrameType.HELLO,
          0,
          0,
          encodeHandshake({ rivet: true, versions: [...SUPPORTED_VERSIONS], codecs: [...this.opts.codecs], maxFrameBytes: this.opts.maxFrameBytes }),
        ),
      );
      await abortable(agreed, timeout, () => notProcessed(`handshake with ${this.address} timed out`, ErrorReason.HANDSHAKE_FAILED));
      this.life = this.drainOnReady ? 'draining' : 'ready';
      this.drainOnReady = false;
      this.lastFailure = null;
      // A drain that arrived with the HELLO_ACK ends an idle connection now, as a later DRAIN would.
      if (this.retired || this.life === 'draining') this.afterSettle();
      this.failures = 0;
      this.retryAt = 0;
      const ka = this.opts.keepalive;
      if (ka !== false) conn.watchLiveness({ keepaliveIntervalMs: ka.intervalMs, keepaliveTimeoutMs: ka.timeoutMs });
    } catch (err) {
      this.handshake = null;
      if (this.conn !== null) {
        this.conn.destroy();
        this.conn = null;
      }
      if ((this.life as LifeState) !== 'closed') {
        this.life = 'idle';
        this.retryAt = Date.now() + jitteredBackoffMs(this.failures, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS);
        this.failures++;
        if (err instanceof RpcError && err.details !== undefined && (err.details as { reason?: string }).reason !== ErrorReason.CLIENT_CLOSED) this.lastFailure = err;
      }
      this.log.debug({ err: (err as Error).message, failures: this.failures }, 'connect failed');
      throw err;
    } finally {
      this.connecting = null;
    }
  }

  private onFrame(conn: Connection, type: number, flags: number, id: number, payload: Buffer): void {
    if (conn !== this.conn) return;
    switch (type) {
      case FrameType.RESPONSE:
      case FrameType.ERROR: {
        const p = this.pending.get(id);
        if (p === undefined) return; // cancelled or timed out: the reply has no one to go to
        this.pending.delete(id);
        if (p.call.watcher === p) p.call.watcher = null;
        this.recordLatency(p.sentAt, turnNowMs());
        const codec = this.codec as Codec;
        if ((flags & FrameFlags.LOAD_REPORT) !== 0 && payload.length >= LOAD_REPORT_BYTES) {
          this.load = readLoadReport(payload);
          payload = payload.subarray(LOAD_REPORT_BYTES);
        }
        if (type === FrameType.RESPONSE) {
          let value: unknown;
          try {
            value = codec.decode(payload);
          } catch (err) {
            p.reject(new RpcError('INTERNAL', `undecodable reply: ${(err as Error).message}`, { reason: ErrorReason.BAD_REQUEST }));
            this.afterSettle();
            return;
          }
          p.resolve(value);
        } else {
          const e = decodeError(codec, payload);
          p.reject(new RpcError(e.code, e.message, e.details, { notProcessed: (flags & FrameFlags.NOT_PROCESSED) !== 0 }));
        }
        this.afterSettle();
        return;
      }
      case FrameType.HELLO_ACK:
        this.onHelloAck(payload);
        return;
      case FrameType.PING:
        conn.send(encodeFrame(FrameType.PONG, 0, id));
        return;
      case FrameType.PONG:
        return;
      case FrameType.DRAIN:
        // HELLO_ACK and DRAIN can arrive together, before connect() has marked the channel ready.
        if (this.life === 'connecting') this.drainOnReady = true;
        if (this.life === 'ready') {
          this.life = 'draining';
          this.log.debug('server is draining');
          this.afterSettle();
        }
        return;
      default:
        this.log.warn({ frameType: type }, 'closing connection: unexpected frame type');
        conn.destroy(`unexpected frame type ${type}`);
    }
  }

  private onHelloAck(payload: Buffer): void {
    const hs = this.handshake;
    if (hs === null) return;
    this.handshake = null;
    const ack = parseHelloAck(payload);
    if ('error' in ack) {
      this.log.warn({ reason: ack.error }, 'handshake refused');
      hs.reject(notProcessed(`handshake with ${this.address} refused: ${ack.error}`, ErrorReason.HANDSHAKE_FAILED));
      return;
    }
    this.codec = createCodec(ack.codec);
    this.version = ack.version;
    this.peerMaxFrameBytes = ack.maxFrameBytes;
    this.services = ack.services;
    hs.resolve();
  }

  /**
   * Peak EWMA: a slower sample is taken at once (so a slowing endpoint is shed quickly), a faster
   * one is blended in with a weight that grows with the time since the last sample.
   */
  private recordLatency(sentAt: number, now: number): void {
    const ms = now - sentAt;
    if (this.ewma === 0 || ms > this.ewma) {
      this.ewma = ms;
    } else {
      const w = Math.exp(-(now - this.ewmaAt) / EWMA_DECAY_MS);
      this.ewma = this.ewma * w + ms * (1 - w);
    }
    this.ewmaAt = now;
  }

  /** A draining channel with nothing left in flight closes; the next call reconnects. */
  private afterSettle(): void {
    if (this.life !== 'draining' || this.pending.size !== 0) return;
    if (this.retired) void this.close();
    else this.conn?.end();
  }

  private onClose(conn: Connection, reason: string | undefined): void {
    if (conn !== this.conn) return;
    this.conn = null;
    if (this.handshake !== null) {
      // Under TLS 1.3 a server refusing our certificate closes the connection after it opened.
      const tls = reason === undefined ? undefined : describeTlsError(reason);
      this.handshake.reject(
        tls !== undefined
          ? new RpcError('UNAVAILABLE', `TLS refused by ${this.address}: ${reason}`, { reason: ErrorReason.TLS, tls }, { notProcessed: true })
          : notProcessed(`connection to ${this.address} closed during the handshake${reason ? `: ${reason}` : ''}`, ErrorReason.HANDSHAKE_FAILED),
      );
      this.handshake = null;
    }
    if (this.life !== 'closed' && this.life !== 'connecting') this.life = 'idle';
    if (this.life === 'idle' && reason !== undefined && reason.startsWith(KEEPALIVE_TIMEOUT_REASON)) {
      // A peer that stopped answering pings (a frozen process, a dead host) counts as a failed
      // connect: the endpoint leaves the pick set for a reconnect backoff. Reconnecting at once
      // would make the next call wait out the connect timeout on a socket nobody reads.
      this.retryAt = Date.now() + jitteredBackoffMs(this.failures, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS);
      this.failures++;
      this.lastFailure = notProcessed(`${this.address} stopped answering keepalive pings`, ErrorReason.CONNECTION_LOST);
    }
    if (this.pending.size > 0) {
      this.log.debug({ reason, inFlight: this.pending.size }, 'connection lost');
      this.failAll(new RpcError('UNAVAILABLE', `connection to ${this.address} lost${reason ? `: ${reason}` : ''}`, { reason: ErrorReason.CONNECTION_LOST }));
    }
    // A retired channel never reconnects: nothing may pick it any more, and the pool forgot it.
    if (this.retired && this.life !== 'closed' && this.life !== 'connecting') void this.close();
  }

  /**
   * The refusal of a call that found this endpoint in reconnect backoff: it names the failure
   * that put it there (a TLS reason keeps its `details.tls`), so the caller sees the cause.
   */
  private backoffError(): RpcError {
    const last = this.lastFailure;
    if (last === null) return notProcessed(`${this.address} failed recently; reconnecting after backoff`, ErrorReason.CONNECT_BACKOFF);
    const tls = (last.details as { tls?: unknown }).tls;
    const details = tls === undefined ? { reason: ErrorReason.CONNECT_BACKOFF, lastError: last.message } : { reason: ErrorReason.CONNECT_BACKOFF, tls, lastError: last.message };
    return new RpcError('UNAVAILABLE', `${this.address} is reconnecting after backoff; last error: ${last.message}`, details, { notProcessed: true, cause: last });
  }

  /** Settles every pending call with its own copy of the error (stages annotate errors per call). */
  private failAll(err: RpcError): void {
    const pending = this.pending.entries();
    this.pending.clear();
    for (const p of pending) {
      if (p.call.watcher === p) p.call.watcher = null;
      p.reject(new RpcError(err.code, err.message, err.details));
    }
  }
}

/** A failed connect as an RpcError; a TLS failure says why in `details.tls` (expired, unknown-ca, ...). */
function connectError(address: string, err: unknown): RpcError {
  const tls = describeTlsError(err);
  if (tls !== undefined) {
    // The transport's message already says "TLS handshake with <address> failed: <why>"; the
    // code (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ...) goes in it too, for logs and users.
    const text = (err as Error).message;
    const base = text.startsWith('TLS handshake') ? text : `TLS handshake with ${address} failed: ${text}`;
    const message = tls.tlsCode === undefined || base.includes(tls.tlsCode) ? base : `${base} (${tls.tlsCode})`;
    return new RpcError('UNAVAILABLE', message, { reason: ErrorReason.TLS, tls }, { notProcessed: true, cause: err });
  }
  const code = (err as NodeJS.ErrnoException).code;
  return notProcessed(`cannot connect to ${address}: ${code ?? (err as Error).message}`, ErrorReason.CONNECT_FAILED, err);
}

function hasKeys(metadata: Record<string, string>): boolean {
  for (const _ in metadata) return true;
  return false;
}

function notProcessed(message: string, reason: ErrorReason, cause?: unknown): RpcError {
  return new RpcError('UNAVAILABLE', message, { reason }, { notProcessed: true, cause });
}

function asRpcError(reason: unknown): RpcError {
  return reason instanceof RpcError ? reason : new RpcError('CANCELLED', 'call cancelled', { reason: ErrorReason.CANCELLED_BY_CALLER });
}

/** Waits for `p`, or rejects when `signal` aborts first (with `onAbort()` or the signal's reason). */
function abortable<T>(p: Promise<T>, signal: AbortSignal, onAbort?: () => RpcError): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort ? onAbort() : asRpcError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const listener = () => reject(onAbort ? onAbort() : asRpcError(signal.reason));
    signal.addEventListener('abort', listener, ABORT_LISTENER_OPTIONS);
    p.then(
      (v) => {
        signal.removeEventListener('abort', listener);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(err);
      },
    );
  });
}

function closeConnection(conn: Connection): Promise<void> {
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
