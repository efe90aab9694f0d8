import type { EndpointState } from '../../balancer';
// Names read on every call come straight from their files (the hot-path files of the import
// rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { remainingMs } from '../../call/deadline';
import { ErrorReason } from '../../errors/error-reason';
import { RpcError } from '../../errors/rpc-error';
import type { ServiceDescriptor } from '../../protocol';
import { FrameType } from '../../protocol/frame';
import { encodeFrame, finishFrame } from '../../protocol/frame-encoder';
import type { LoadReport } from '../../protocol/load-report';
import type { Connection } from '../../transport';
import { IdTable } from '../../util';
import { turnNowMs } from '../../util/turn-clock';
import type { ChannelCall } from './channel-call';
import type { ChannelOptions } from './channel-options';
import { ChannelStreams, type StreamChannel } from './channel-streams';
import { closeGracefully, openSession, type Session } from './connect';
import { abortable, asRpcError, notProcessed } from './connect-errors';
import { PeakEwma } from './peak-ewma';
import { owesCancelFrame, Pending } from './pending';
import { ReconnectBackoff } from './reconnect-backoff';
import { type LoadReportSink, settleReply } from './reply-decoder';
import { encodeRequest } from './request-encoder';

export { RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from './reconnect-backoff';
export type { ChannelOptions } from './channel-options';

type LifeState = 'idle' | 'connecting' | 'ready' | 'draining' | 'closed';

const NO_SERVICES: Readonly<Record<string, ServiceDescriptor>> = Object.freeze({});

/**
 * One multiplexed connection to one endpoint, shared by every call to it: its lifecycle (idle,
 * connecting, ready, draining, closed; reconnect backoff) and its table of pending calls.
 * Connects lazily on the first call (connect and handshake are `openSession`'s), reconnects
 * lazily after a loss (with capped, jittered backoff after a failure), and never leaves a call
 * hanging: every pending call settles on reply, cancel or loss. A request's layout, a reply's
 * decoding and the streams live beside it: request-encoder, reply-decoder, channel-streams.
 */
export class Channel implements StreamChannel, LoadReportSink {
  private life: LifeState = 'idle';
  private session: Session | null = null;
  private connecting: Promise<void> | null = null;
  private cancelConnect: AbortController | null = null;
  private readonly pending = new IdTable<Pending>();
  private lastId = 0;
  private readonly backoff = new ReconnectBackoff();
  private closedPromise: Promise<void> | null = null;
  private readonly latency = new PeakEwma();
  private retired = false;
  private advertised: Readonly<Record<string, ServiceDescriptor>> = NO_SERVICES;
  /** Open stream attempts (also in `pending`, which settles them); made on the first stream. */
  private streams: ChannelStreams | null = null;
  // The last load report a reply carried, and when (LoadReportSink): plain fields, as a pick reads them.
  serverLoad: LoadReport | null = null;
  serverLoadAtMs = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly address: string,
    private readonly opts: ChannelOptions,
  ) {
    if (opts.firstRequestId !== undefined) this.lastId = (opts.firstRequestId - 1) >>> 0;
  }

  /**
   * The facts the server's last handshake advertised for `service.method`: the channel is a
   * method-facts source (client/method-facts.ts). Kept after the connection goes.
   */
  methodFacts(service: string, method: string): { readonly idempotent: boolean; readonly timeoutMs?: number; readonly stream?: 'server' | 'client' | 'bidi' } | undefined {
    return this.advertised[service]?.methods[method];
  }

  /** Peak-EWMA of reply latency in ms, decayed to now (see EndpointView.ewmaMs). */
  get ewmaMs(): number {
    return this.latency.msAt(turnNowMs());
  }

  /** Milliseconds until a channel in reconnect backoff may connect again (0 when it may now). */
  get retryInMs(): number {
    return this.backoff.retryInMs;
  }

  /** Why the last connect (or handshake) failed, while that is still news (see ReconnectBackoff). */
  get lastError(): RpcError | null {
    return this.backoff.lastError;
  }

  /** Calls sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The state as balancers see it. */
  get state(): EndpointState {
    if (this.life === 'idle' && this.backoff.active) return 'backoff';
    return this.life;
  }

  /** True once closed for good. */
  get isClosed(): boolean {
    return this.life === 'closed';
  }

  /** Sends one attempt of a call; resolves with the decoded reply or rejects with an RpcError. */
  call(ctx: ChannelCall): Promise<unknown> {
    if (this.life === 'ready') return this.send(ctx);
    return this.callWhenReady(ctx);
  }

  /** Closes for good: pending calls fail with UNAVAILABLE (CLIENT_CLOSED). */
  close(): Promise<void> {
    if (this.closedPromise !== null) return this.closedPromise;
    this.life = 'closed';
    this.cancelConnect?.abort();
    this.failAll(new RpcError('UNAVAILABLE', 'client closed', { reason: ErrorReason.CLIENT_CLOSED }));
    const conn = this.session?.conn;
    this.closedPromise = conn === undefined ? Promise.resolve() : closeGracefully(conn);
    return this.closedPromise;
  }

  /**
   * The endpoint left the registry: closes now when nothing is in flight, else stops taking
   * calls and closes once the last reply is in (a server deregisters before it drains, so the
   * calls it is still answering must not be cut). A connecting channel decides once connected.
   */
  retire(): void {
    this.retired = true;
    if (this.life === 'connecting') return;
    if ((this.life === 'ready' || this.life === 'draining') && this.pending.size > 0) this.life = 'draining';
    else void this.close();
  }

  /** @internal a pending call was aborted: tell the server, and reject with the abort reason. */
  cancel(p: Pending): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    const reason = asRpcError(p.call.abortReason);
    const stream = this.streams !== null && this.streams.end(p.id);
    if (owesCancelFrame(reason, stream)) this.session?.conn.send(encodeFrame(FrameType.CANCEL, 0, p.id));
    p.reject(reason);
    this.afterSettle();
  }

  private async callWhenReady(ctx: ChannelCall): Promise<unknown> {
    if (this.life === 'closed') throw notProcessed('client closed', ErrorReason.CLIENT_CLOSED);
    if (this.life === 'draining') throw notProcessed(`${this.address} is draining`, ErrorReason.SERVER_DRAINING);
    if (this.life === 'idle') {
      if (this.backoff.active) throw this.backoff.refusal(this.address);
      this.connecting = this.connect();
    }
    await abortable(this.connecting as Promise<void>, ctx.signal); // connecting is rare: a real signal is fine
    if (this.life !== 'ready') throw notProcessed(`${this.address} is not ready`, ErrorReason.NO_READY_ENDPOINT);
    return this.send(ctx);
  }

  private send(ctx: ChannelCall): Promise<unknown> {
    if (ctx.abortReason !== undefined) return Promise.reject(ctx.abortReason);
    if (ctx.streamState !== null) return (this.streams ??= new ChannelStreams(this, this.pending)).open(ctx, this.session as Session, this.advertised);
    const timeoutMs = ctx.deadline === undefined ? 0 : remainingMs(ctx.deadline, Date.now());
    if (ctx.deadline !== undefined && timeoutMs === 0) {
      return Promise.reject(new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded before the call was sent', { reason: ErrorReason.DEADLINE }, { notProcessed: true }));
    }
    const session = this.session as Session;
    let frame: Buffer; // the payload behind room for the header, which is written once the id is known
    try {
      frame = encodeRequest(session, ctx.service, ctx.method, ctx.args, ctx.metadata, timeoutMs);
    } catch (err) {
      return Promise.reject(err); // an RpcError: arguments that do not encode, or a frame too large
    }
    const id = this.nextId();
    return new Promise((resolve, reject) => {
      const p = new Pending(this, id, resolve, reject, ctx, turnNowMs());
      this.pending.set(id, p);
      ctx.watcher = p;
      session.conn.send(finishFrame(frame, FrameType.REQUEST, 0, id));
    });
  }

  /** @internal the id of the next request (ChannelStreams opens streams with it too). */
  nextId(): number {
    // u32, never 0 (0 is for connection-level frames), never one still pending after a wrap.
    do {
      this.lastId = (this.lastId + 1) >>> 0 || 1;
    } while (this.pending.has(this.lastId));
    return this.lastId;
  }

  private async connect(): Promise<void> {
    this.life = 'connecting';
    const cancel = (this.cancelConnect = new AbortController());
    let session: Session;
    try {
      session = await openSession(this.host, this.port, this.address, this.opts, cancel.signal);
    } catch (err) {
      if ((this.life as LifeState) !== 'closed') {
        this.life = 'idle';
        this.backoff.failed(err instanceof RpcError && (err.details as { reason?: string } | undefined)?.reason !== ErrorReason.CLIENT_CLOSED ? err : null);
        // A retired channel never reconnects: nothing may pick it any more, and the pool forgot it.
        if (this.retired) void this.close();
      }
      this.opts.logger.debug({ peer: this.address, err: (err as Error).message, failures: this.backoff.failuresInRow }, 'connect failed');
      throw err;
    } finally {
      this.connecting = null;
      this.cancelConnect = null;
    }
    const conn = session.conn;
    this.session = session;
    this.advertised = session.services;
    conn.attach({
      onFrame: (type, flags, id, payload) => this.onFrame(conn, type, flags, id, payload),
      onClose: (reason) => this.onClose(conn, reason),
    });
    this.life = session.draining ? 'draining' : 'ready';
    this.backoff.succeeded();
    const ka = this.opts.keepalive;
    if (ka !== false) conn.watchLiveness({ keepaliveIntervalMs: ka.intervalMs, keepaliveTimeoutMs: ka.timeoutMs });
    if (session.lostWith !== undefined) {
      // It closed between the HELLO_ACK and now: the next call reconnects.
      this.onClose(conn, session.lostWith.reason);
      return;
    }
    if (this.retired && this.life === 'ready') this.life = 'draining';
    // A drain (or a retire) learnt while connecting ends an idle connection now, as a later DRAIN would.
    this.afterSettle();
  }

  private onFrame(conn: Connection, type: number, flags: number, id: number, payload: Buffer): void {
    if (conn !== this.session?.conn) return;
    switch (type) {
      case FrameType.RESPONSE:
      case FrameType.ERROR: {
        const p = this.pending.get(id);
        if (p === undefined) return; // cancelled or timed out: the reply has no one to go to
        this.pending.delete(id);
        if (p.call.watcher === p) p.call.watcher = null;
        const now = turnNowMs();
        // A stream's reply ends it; how long it lasted says nothing about the endpoint's latency.
        if (this.streams === null || !this.streams.end(id)) this.latency.record(p.sentAt, now);
        settleReply(p, type, flags, payload, this.session.codec, now, this);
        this.afterSettle();
        return;
      }
      case FrameType.STREAM_DATA:
      case FrameType.STREAM_END:
      case FrameType.STREAM_CREDIT:
        if (this.streams !== null) this.streams.onFrame(type, id, payload, this.session);
        return;
      case FrameType.PING:
        conn.send(encodeFrame(FrameType.PONG, 0, id));
        return;
      case FrameType.PONG:
      case FrameType.HELLO_ACK:
        return;
      case FrameType.DRAIN:
        if (this.life === 'ready') {
          this.life = 'draining';
          this.opts.logger.debug({ peer: this.address }, 'server is draining');
          this.afterSettle();
        }
        return;
      default:
        this.opts.logger.warn({ peer: this.address, frameType: type }, 'closing connection: unexpected frame type');
        conn.destroy(`unexpected frame type ${type}`);
    }
  }

  /** @internal a call settled: a draining channel with nothing left in flight closes; the next call reconnects. */
  afterSettle(): void {
    if (this.life !== 'draining' || this.pending.size !== 0) return;
    if (this.retired) void this.close();
    else this.session?.conn.end();
  }

  private onClose(conn: Connection, reason: string | undefined): void {
    if (conn !== this.session?.conn) return;
    this.session = null;
    if (this.life !== 'closed' && this.life !== 'connecting') this.life = 'idle';
    if (this.life === 'idle') this.backoff.lost(this.address, reason);
    if (this.pending.size > 0) {
      this.opts.logger.debug({ peer: this.address, reason, inFlight: this.pending.size }, 'connection lost');
      this.failAll(new RpcError('UNAVAILABLE', `connection to ${this.address} lost${reason ? `: ${reason}` : ''}`, { reason: ErrorReason.CONNECTION_LOST }));
    }
    // A retired channel never reconnects: nothing may pick it any more, and the pool forgot it.
    if (this.retired && this.life !== 'closed' && this.life !== 'connecting') void this.close();
  }

  /** Settles every pending call with its own copy of the error (stages annotate errors per call). */
  private failAll(err: RpcError): void {
    const pending = this.pending.entries();
    this.pending.clear();
    if (this.streams !== null) this.streams.closeAll();
    for (const p of pending) {
      if (p.call.watcher === p) p.call.watcher = null;
      p.reject(new RpcError(err.code, err.message, err.details));
    }
  }
}
