import type { Logger } from 'pino';
// Verdict and Sample are read on every call: straight from their file, like the names below.
import type { Admission, MethodStats, QueuedCall, ShedReason } from '../admission';
import { Sample, Verdict } from '../admission/admission';
import type { DeadlineList, Peer, Timed } from '../call';
// Names read on every call come straight from their files (the hot-path files of the import
// rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { runWithContext } from '../call/context-storage';
import { DeadlineTimers } from '../call/deadline-timers';
import { ErrorReason, reasonOf, type RpcCode } from '../errors';
import { isRpcError, RpcError } from '../errors/rpc-error';
import { agreeFeatures, type Codec, type CodecName, createCodec, encodeHandshake, type Hello, type HelloAck, negotiate, parseHello, type RequestMessage, type ServiceDescriptor, STREAM_RECORDS_FEATURE } from '../protocol';
import { FRAME_HEADER_BYTES, FrameFlags, FrameType } from '../protocol/frame';
import { encodeFrame, finishFrame } from '../protocol/frame-encoder';
import { LOAD_REPORT_BYTES, writeLoadReport } from '../protocol/load-report';
import { decodeRequest, encodeErrorFramed } from '../protocol/messages';
import { decodeRequestBody, readRequestHead, RequestHead } from '../protocol/request-head';
import type { Connection } from '../transport';
import { IdTable } from '../util';
import { type Dispatcher, isThenable, type MethodEntry } from './dispatcher';
import { ServerCall } from './server-call';
import { shedAnswer } from './shed-answer';
import { type ServerStreamOptions, ServerStreams, type StreamTableOwner } from './server-streams';

// How long a refused peer has to close its side after the refusal before the server cuts it.
const REFUSED_LINGER_MS = 1_000;

/** What a ServerConnection needs from its server; passed once, shared by all connections. */
export interface ServerConnectionOptions {
  dispatcher: Dispatcher;
  allowedCodecs: readonly CodecName[];
  maxFrameBytes: number;
  exposeErrorStack: boolean;
  logger: Logger;
  maxInFlightPerConnection: number | undefined;
  /** What the HELLO_ACK lists: `{}` with `advertiseMethods: false`; by default the dispatcher's descriptors. */
  advertised?: Record<string, ServiceDescriptor>;
  /** Stream window and limits; streams are refused with UNIMPLEMENTED when absent. */
  streams?: ServerStreamOptions;
  /** Keepalive and idle settings; `isBusy` is added per connection. */
  liveness: { keepaliveIntervalMs?: number; keepaliveTimeoutMs?: number; idleTimeoutMs?: number };
  /** The server's overload protection, shared by its connections; null with `admission: false`. */
  admission: Admission | null;
}

// The longest delay a Node.js timer honours (2^31 - 1 ms, about 24.8 days).
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One call being handled: running (it has a ServerCall), or waiting in the admission queue with
 * what it needs to start (the undecoded payload, or a v1 request's decoded parts).
 */
class InFlight implements Timed, QueuedCall {
  done = false;
  /** The deadline timer's links (see DeadlineTimers), armed only when the handler goes async. */
  expiresAt = 0;
  timerPrev: Timed | null = null;
  timerNext: Timed | null = null;
  timerList: DeadlineList | null = null;
  controller: ServerCall | null = null;
  /** performance.now() when admission started it; -1 while queued (or with admission off). */
  startedAtMs = -1;
  /** The handler returned a promise. */
  async = false;
  /** performance.now() when the handler returned: a synchronous call's finish, so settle reads no clock. */
  ranAtMs = 0;

  constructor(
    readonly id: number,
    readonly entry: MethodEntry,
    private readonly owner: ServerConnection,
    readonly arrivedAtMs: number,
    readonly deadlineAtMs: number,
    /** A v2 request's payload (copied out of the socket chunk when queued); null for v1. */
    public payload: Buffer | null,
    readonly bodyOffset: number,
    public args: unknown[] | null,
    public metadata: Record<string, string> | null,
  ) {}

  get stats(): MethodStats {
    return this.entry.stats;
  }

  get peerAddress(): string {
    return this.owner.conn.remoteAddress;
  }

  expire(): void {
    this.owner.expire(this);
  }

  start(nowMs: number): void {
    this.owner.startQueued(this, nowMs);
  }

  shed(reason: ShedReason, retryAfterMs: number): void {
    this.owner.shedQueued(this, reason, retryAfterMs);
  }
}

// One set of timers for every connection of the process: a call's deadline costs no Timeout of its own.
const timers = new DeadlineTimers();

/**
 * The server's side of one connection: handshake, then requests, cancels and pings, until it
 * closes or the server drains it.
 */
export class ServerConnection implements StreamTableOwner {
  private codec: Codec | null = null;
  /** The agreed protocol version: 2 sends requests with an admission head and replies with load reports. */
  private version = 0;
  private readonly head = new RequestHead();
  /**
   * The last clock read after a handler ran, and the arrival time of the chunk its call came in:
   * the next call of the same chunk starts at that time. One clock read per call, not two.
   */
  private clockMs = 0;
  private clockChunkMs = -1;
  private readonly admission: Admission | null;
  /** Extra bytes in front of every reply payload: a load report on v2 with admission on. */
  private replyPrefixBytes = 0;
  private peerMaxFrameBytes = 0;
  private readonly inFlight = new IdTable<InFlight>();
  /** Open streams; made on the first one, so a connection that never streams pays nothing. */
  private streams: ServerStreams | null = null;
  /** The handshake agreed `stream-records`: stream messages use a codec per stream. */
  private streamRecords = false;
  private draining = false;
  private refusedTimer: NodeJS.Timeout | undefined = undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly log: Logger;
  private readonly peer: Peer;
  private resolveClosed!: () => void;
  /** Resolves once the connection has closed. */
  readonly whenClosed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    readonly conn: Connection,
    private readonly opts: ServerConnectionOptions,
    private readonly onClosed: (sc: ServerConnection) => void,
  ) {
    this.log = opts.logger.child({ connId: conn.id, peer: conn.remoteAddress });
    this.admission = opts.admission;
    this.peer = conn.peerIdentity === undefined ? { address: conn.remoteAddress } : { address: conn.remoteAddress, identity: conn.peerIdentity };
    conn.attach({
      onFrame: (type, flags, id, payload, arrivedAtMs) => this.onFrame(type, flags, id, payload, arrivedAtMs),
      onClose: (reason) => this.onClose(reason),
    });
    conn.watchLiveness({ ...opts.liveness, isBusy: () => !this.isIdle() });
  }

  /** True once the handshake agreed a codec: the peer is a Rivet client, which heeds DRAIN. */
  get handshakeDone(): boolean {
    return this.codec !== null;
  }

  /** Calls that reached a handler and have not replied yet. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Tells the client to send new calls elsewhere; calls that arrive from now on are refused as not processed. */
  beginDrain(): void {
    if (this.draining) return;
    this.draining = true;
    if (this.codec !== null) this.conn.send(encodeFrame(FrameType.DRAIN, 0, 0));
  }

  /** Resolves when no call is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails every call still running (the drain timed out): their handlers are aborted. */
  abortAll(): void {
    for (const call of this.inFlight.entries()) {
      const started = call.controller !== null;
      call.controller?.abort(new RpcError('UNAVAILABLE', 'server shut down before the call finished', { reason: ErrorReason.SERVER_SHUTDOWN }));
      this.sendError(call.id, 'UNAVAILABLE', 'server shut down before the call finished', { reason: ErrorReason.SERVER_SHUTDOWN }, started ? 0 : FrameFlags.NOT_PROCESSED);
      this.settle(call, Sample.NONE);
    }
    this.streams?.abortAll();
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer, arrivedAtMs: number): void {
    if (this.codec === null) {
      // Refused: whatever else the peer sends is ignored, not answered or logged again.
      if (this.refusedTimer !== undefined) return;
      if (type !== FrameType.HELLO) {
        this.refuse(`expected HELLO, got frame type ${type}`);
        return;
      }
      this.onHello(payload);
      return;
    }
    switch (type) {
      case FrameType.REQUEST:
        this.onRequest(id, flags, payload, arrivedAtMs);
        return;
      case FrameType.CANCEL:
        this.onCancel(id);
        return;
      case FrameType.PING:
        this.conn.send(encodeFrame(FrameType.PONG, 0, id));
        return;
      case FrameType.PONG:
        return;
      case FrameType.STREAM_DATA:
      case FrameType.STREAM_END:
      case FrameType.STREAM_CREDIT:
        this.streams?.onFrame(type, id, payload);
        return;
      default:
        this.log.warn({ frameType: type }, 'closing connection: unexpected frame type');
        this.conn.destroy(`unexpected frame type ${type}`);
    }
  }

  private onHello(payload: Buffer): void {
    const hello = parseHello(payload);
    const agreed = typeof hello === 'string' ? hello : negotiate(hello, this.opts.allowedCodecs);
    if (typeof agreed === 'string') {
      this.refuse(agreed);
      return;
    }
    this.codec = createCodec(agreed.codec);
    this.version = agreed.version;
    this.replyPrefixBytes = agreed.version >= 2 && this.admission !== null && this.admission.loadReports ? LOAD_REPORT_BYTES : 0;
    this.peerMaxFrameBytes = (hello as { maxFrameBytes: number }).maxFrameBytes;
    this.conn.setMaxIncomingFrameBytes(this.opts.maxFrameBytes);
    this.conn.send(
      encodeFrame(
        FrameType.HELLO_ACK,
        0,
        0,
        encodeHandshake(this.helloAck(agreed.version, agreed.codec, hello as Hello)),
      ),
    );
    if (this.draining) this.conn.send(encodeFrame(FrameType.DRAIN, 0, 0));
  }

  private helloAck(version: number, codec: CodecName, hello: Hello): HelloAck {
    const ack: HelloAck = { version, codec, maxFrameBytes: this.opts.maxFrameBytes, services: this.opts.advertised ?? this.opts.dispatcher.descriptors };
    // Features are listed only when both sides speak them; a client that offers none sees none.
    if (this.opts.streams !== undefined) {
      const features = agreeFeatures(hello.features);
      if (features.length > 0) ack.features = features;
      this.streamRecords = features.includes(STREAM_RECORDS_FEATURE);
    }
    return ack;
  }

  private refuse(why: string): void {
    this.log.warn({ reason: why }, 'closing connection: handshake refused');
    this.conn.send(encodeFrame(FrameType.HELLO_ACK, 0, 0, encodeHandshake({ error: why })));
    this.conn.end();
    // end() waits for the peer's side to close too; a peer that keeps it open must not hold the socket.
    this.refusedTimer = setTimeout(destroyRefused, REFUSED_LINGER_MS, this.conn);
    this.refusedTimer.unref();
  }

  private onRequest(id: number, flags: number, payload: Buffer, arrivedAtMs: number): void {
    const codec = this.codec as Codec;
    if (this.draining) {
      this.sendError(id, 'UNAVAILABLE', 'server is draining; send the call elsewhere', { reason: ErrorReason.SERVER_DRAINING }, FrameFlags.NOT_PROCESSED);
      return;
    }
    // v2: the head (deadline, service, method) is read without decoding the arguments, so a call
    // refused below never pays for them. v1: everything is decoded first.
    let entry: MethodEntry | undefined;
    let timeoutMs: number;
    let args: unknown[] | null = null;
    let metadata: Record<string, string> | null = null;
    let bodyOffset = 0;
    if (this.version >= 2) {
      const head = this.head;
      const bad = readRequestHead(payload, head);
      if (bad !== undefined) {
        this.sendError(id, 'INVALID_ARGUMENT', `undecodable request: ${bad}`, { reason: ErrorReason.BAD_REQUEST }, 0);
        return;
      }
      entry = this.opts.dispatcher.lookupHead(payload, head);
      if (entry === undefined) {
        this.sendUnknownMethod(id, head.serviceName(payload), head.methodName(payload));
        return;
      }
      timeoutMs = head.timeoutMs;
      bodyOffset = head.bodyOffset;
    } else {
      let req;
      try {
        req = decodeRequest(codec, payload);
      } catch (err) {
        this.log.debug({ reqId: id, err: (err as Error).message }, 'undecodable request');
        this.sendError(id, 'INVALID_ARGUMENT', `undecodable request: ${(err as Error).message}`, { reason: ErrorReason.BAD_REQUEST }, 0);
        return;
      }
      entry = this.opts.dispatcher.lookup(req.service, req.method);
      if (entry === undefined) {
        this.sendUnknownMethod(id, req.service, req.method);
        return;
      }
      timeoutMs = req.timeoutMs;
      args = req.args;
      metadata = req.metadata;
    }
    if (entry.stream !== undefined || (flags & FrameFlags.STREAM) !== 0) {
      // Streams are held by maxStreamsPerConnection and their credit windows, not by admission:
      // their arguments are decoded at once.
      let req: RequestMessage;
      if (args !== null) {
        req = { service: entry.service, method: entry.method, args, metadata: metadata ?? {}, timeoutMs };
      } else {
        try {
          const body = decodeRequestBody(codec, payload, bodyOffset);
          req = { service: entry.service, method: entry.method, args: body.args, metadata: body.metadata, timeoutMs };
        } catch (err) {
          this.sendError(id, 'INVALID_ARGUMENT', `undecodable request: ${(err as Error).message}`, { reason: ErrorReason.BAD_REQUEST }, 0);
          return;
        }
      }
      this.openStream(id, flags, req, entry);
      return;
    }
    const maxInFlight = this.opts.maxInFlightPerConnection;
    if (maxInFlight !== undefined && this.inFlight.size >= maxInFlight) {
      this.sendError(
        id,
        'RESOURCE_EXHAUSTED',
        `more than ${maxInFlight} calls in flight on this connection`,
        { reason: ErrorReason.TOO_MANY_IN_FLIGHT },
        FrameFlags.NOT_PROCESSED,
      );
      return;
    }
    if (id === 0) {
      this.sendError(id, 'INVALID_ARGUMENT', 'request id 0 is reserved for connection-level frames', { reason: ErrorReason.BAD_REQUEST }, 0);
      return;
    }
    if (this.inFlight.has(id) || (this.streams !== null && this.streams.has(id))) {
      this.sendError(id, 'INVALID_ARGUMENT', `request id ${id} is already in flight`, { reason: ErrorReason.BAD_REQUEST }, 0);
      return;
    }
    // Node clamps longer timers to 1 ms, so a huge remaining time must be capped, not passed on.
    if (timeoutMs > MAX_TIMER_MS) timeoutMs = MAX_TIMER_MS;
    if (entry.timeoutMs !== undefined && entry.timeoutMs < timeoutMs) timeoutMs = entry.timeoutMs;
    // The budget counts from when the bytes arrived, not from now.
    const deadlineAtMs = arrivedAtMs + timeoutMs;
    const adm = this.admission;
    // The clock as the last handler of this chunk left it, or the chunk's arrival for its first
    // call: nothing but frame decoding ran since either, so no clock read of its own is needed.
    const now = this.clockChunkMs === arrivedAtMs ? this.clockMs : arrivedAtMs;
    if (adm === null) {
      this.begin(new InFlight(id, entry, this, arrivedAtMs, deadlineAtMs, payload, bodyOffset, args, metadata), now);
      return;
    }
    const verdict = adm.admit(entry.stats, deadlineAtMs, timeoutMs, now);
    if (verdict === Verdict.RUN) {
      const call = new InFlight(id, entry, this, arrivedAtMs, deadlineAtMs, payload, bodyOffset, args, metadata);
      call.startedAtMs = now;
      this.begin(call, now);
    } else if (verdict === Verdict.QUEUE) {
      // The payload may be a view of a socket chunk, which is only ours during this callback.
      const kept = args === null ? Buffer.from(payload) : null;
      const call = new InFlight(id, entry, this, arrivedAtMs, deadlineAtMs, kept, bodyOffset, args, metadata);
      this.inFlight.set(id, call);
      adm.enqueue(call, now);
    } else {
      const reason: ShedReason = verdict === Verdict.SHED_DEADLINE ? 'DEADLINE' : 'QUEUE_FULL';
      this.sendShed(id, reason, adm.retryAfterMs());
      adm.recordShed(entry.stats, reason, now - arrivedAtMs, this.conn.remoteAddress, now);
    }
  }

  /** @internal admission starts a queued call. */
  startQueued(call: InFlight, nowMs: number): void {
    call.startedAtMs = nowMs;
    this.begin(call, nowMs);
  }

  /** @internal admission refuses a queued call. */
  shedQueued(call: InFlight, reason: ShedReason, retryAfterMs: number): void {
    if (call.done) return;
    this.sendShed(call.id, reason, retryAfterMs);
    this.settle(call);
  }

  private sendShed(id: number, reason: ShedReason, retryAfterMs: number): void {
    const a = shedAnswer(reason, retryAfterMs);
    this.sendError(id, a.code, a.message, a.details, FrameFlags.NOT_PROCESSED);
  }

  /** Decodes what is left of the request and runs the handler (admission, if on, has counted it). */
  private begin(call: InFlight, nowMs: number): void {
    const entry = call.entry;
    if (call.args === null) {
      let body;
      try {
        body = decodeRequestBody(this.codec as Codec, call.payload as Buffer, call.bodyOffset);
      } catch (err) {
        if (call.startedAtMs >= 0) this.admission?.abandon();
        call.startedAtMs = -1;
        this.log.debug({ reqId: call.id, err: (err as Error).message }, 'undecodable request');
        this.sendError(call.id, 'INVALID_ARGUMENT', `undecodable request: ${(err as Error).message}`, { reason: ErrorReason.BAD_REQUEST }, 0);
        if (this.inFlight.get(call.id) === call) this.settle(call);
        return;
      }
      call.args = body.args;
      call.metadata = body.metadata;
      call.payload = null;
    }
    const deadline = Date.now() + (call.deadlineAtMs - nowMs);
    const ctx = new ServerCall(entry.service, entry.method, call.args, call.metadata as Record<string, string>, deadline, this.peer);
    call.controller = ctx;
    if (this.inFlight.get(call.id) !== call) this.inFlight.set(call.id, call);
    let result: unknown;
    try {
      result = runWithContext(ctx, entry.run);
    } catch (err) {
      this.ran(call);
      this.onFailure(call, err);
      return;
    }
    if (!isThenable(result)) {
      // A synchronous handler with no stages: it has answered already, so no promise and no
      // deadline timer are made for it (no timer could have fired while it ran anyway).
      this.ran(call);
      this.onResult(call, result);
      return;
    }
    call.async = true;
    this.ran(call);
    // Armed after the handler's synchronous part, for what is left of the deadline.
    timers.arm(call, Math.max(1, deadline - Date.now()));
    result.then(
      (value) => this.onResult(call, value),
      (err: unknown) => this.onFailure(call, err),
    );
  }

  /** Tells admission how long the handler held the event loop (its slice accounting). */
  private ran(call: InFlight): void {
    const adm = this.admission;
    if (adm === null || call.startedAtMs < 0) return;
    const now = performance.now();
    call.ranAtMs = now;
    this.clockMs = now;
    this.clockChunkMs = call.arrivedAtMs;
    adm.ran(now - call.startedAtMs, now);
  }

  /** @internal the call's deadline passed. */
  expire(call: InFlight): void {
    if (call.done) return;
    call.controller?.abort(new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded', { reason: ErrorReason.DEADLINE }));
    this.sendError(call.id, 'DEADLINE_EXCEEDED', 'deadline exceeded', { reason: ErrorReason.DEADLINE }, 0);
    this.settle(call, Sample.LIMIT_ONLY);
  }

  private onResult(call: InFlight, value: unknown): void {
    if (call.done) return;
    // Settled first, so the load report in front of the reply counts this call as finished.
    this.settle(call);
    this.sendResult(call.id, call.entry.service, call.entry.method, value);
  }

  /** @internal Sends a handler's value as a RESPONSE, or the ERROR that replaces it. */
  sendResult(id: number, service: string, method: string, value: unknown): void {
    const codec = this.codec as Codec;
    let frame: Buffer; // the payload behind room for the header (and the load report)
    const prefix = this.replyPrefixBytes;
    try {
      frame = codec.encodeFramed(value, prefix);
    } catch (err) {
      this.log.warn({ method: `${service}.${method}`, err: (err as Error).message }, 'reply could not be encoded');
      this.sendError(id, 'INTERNAL', `reply could not be encoded: ${(err as Error).message}`, { reason: ErrorReason.ENCODE_FAILED }, 0);
      return;
    }
    const payloadBytes = frame.length - FRAME_HEADER_BYTES;
    if (payloadBytes > this.peerMaxFrameBytes) {
      this.sendError(
        id,
        'RESOURCE_EXHAUSTED',
        `reply of ${payloadBytes} bytes exceeds the client's limit of ${this.peerMaxFrameBytes}`,
        { reason: ErrorReason.FRAME_TOO_LARGE },
        0,
      );
    } else {
      if (prefix !== 0) this.writeLoadReport(frame);
      this.conn.send(finishFrame(frame, FrameType.RESPONSE, prefix === 0 ? 0 : FrameFlags.LOAD_REPORT, id));
    }
  }

  private onFailure(call: InFlight, err: unknown): void {
    if (call.done) return;
    // Settled first: a connection that fault injection drops must not find the call in flight.
    this.settle(call);
    this.sendFailure(call.id, call.entry.service, call.entry.method, err);
  }

  /** @internal Sends what a handler's chain threw: an RpcError as it is, anything else as UNKNOWN. */
  sendFailure(id: number, service: string, method: string, err: unknown): void {
    if (reasonOf(err) === ErrorReason.DROP_CONNECTION) {
      // Fault injection ('rivet-rpc/testing'): the connection dies under the call, with no reply.
      this.conn.destroy('connection dropped by fault injection');
      return;
    }
    if (isRpcError(err)) {
      // A limit that refused the call before the handler ran says so; the client may send it elsewhere.
      this.sendError(id, err.code, err.message, err.details, err.notProcessed ? FrameFlags.NOT_PROCESSED : 0);
    } else {
      const message = err instanceof Error ? err.message : String(err);
      if (this.log.isLevelEnabled('debug')) this.log.debug({ method: `${service}.${method}`, err }, 'handler threw');
      const details = this.opts.exposeErrorStack && err instanceof Error ? { stack: err.stack } : undefined;
      this.sendError(id, 'UNKNOWN', message, details, 0);
    }
  }

  private onCancel(id: number): void {
    const call = this.inFlight.get(id);
    if (call === undefined) {
      this.streams?.cancel(id);
      return;
    }
    if (call.done) return;
    call.controller?.abort(new RpcError('CANCELLED', 'cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER }));
    this.settle(call);
  }

  private sendUnknownMethod(id: number, service: string, method: string): void {
    this.sendError(id, 'UNIMPLEMENTED', `${service}.${method} is not a remotely callable method`, { reason: ErrorReason.UNKNOWN_METHOD }, 0);
  }

  /** @internal Sends an ERROR frame, trimmed to the client's frame limit. */
  sendError(id: number, code: RpcCode, message: string, details: unknown, flags: number): void {
    const codec = this.codec as Codec;
    const prefix = this.replyPrefixBytes;
    let frame = encodeErrorFramed(codec, code, message, details, prefix); // the payload behind room for the header
    const payloadBytes = frame.length - FRAME_HEADER_BYTES;
    if (payloadBytes > this.peerMaxFrameBytes) {
      // The client would close the whole connection over one oversize frame; keep the code and
      // the start of the message, and say what was dropped.
      frame = encodeErrorFramed(
        codec,
        code,
        `${message.slice(0, 256)} (error details dropped: ${payloadBytes} bytes exceed the client's limit)`,
        { reason: ErrorReason.FRAME_TOO_LARGE },
        prefix,
      );
    }
    if (prefix !== 0) {
      this.writeLoadReport(frame);
      flags |= FrameFlags.LOAD_REPORT;
    }
    this.conn.send(finishFrame(frame, FrameType.ERROR, flags, id));
  }

  /** The server's load, in front of a v2 reply's payload (protocol/load-report.ts). */
  private writeLoadReport(frame: Buffer): void {
    const adm = this.admission as Admission;
    writeLoadReport(frame, FRAME_HEADER_BYTES, adm.inFlight, adm.limit, adm.queueDelayMs);
  }

  private settle(call: InFlight, sample: number = Sample.FULL): void {
    call.done = true;
    timers.disarm(call);
    this.inFlight.delete(call.id);
    if (call.startedAtMs >= 0) {
      (this.admission as Admission).finish(call.entry.stats, call.startedAtMs, call.async ? performance.now() : call.ranAtMs, call.async, sample);
      call.startedAtMs = -1;
    }
    if (this.idleWaiters.length > 0) this.streamClosed();
  }

  /** @internal A call or stream ended: wakes those waiting for the connection to be idle. */
  streamClosed(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** @internal True while a unary call holds `id`. */
  isUnaryInFlight(id: number): boolean {
    return this.inFlight.has(id);
  }

  private isIdle(): boolean {
    return this.inFlight.size === 0 && (this.streams === null || this.streams.size === 0);
  }

  private openStream(id: number, flags: number, req: RequestMessage, entry: MethodEntry): void {
    const opts = this.opts.streams;
    if (opts === undefined) {
      this.sendError(id, 'UNIMPLEMENTED', `${entry.service}.${entry.method}: this server does not serve streams`, { reason: ErrorReason.STREAMS_UNSUPPORTED }, 0);
      return;
    }
    this.streams ??= new ServerStreams(this, this.codec as Codec, this.streamRecords, this.peerMaxFrameBytes, this.peer, opts);
    this.streams.open(id, flags, req, entry);
  }

  private onClose(reason: string | undefined): void {
    if (this.refusedTimer !== undefined) clearTimeout(this.refusedTimer);
    if (reason !== undefined) this.log.warn({ reason }, 'connection closed');
    else this.log.debug('connection closed');
    // Nobody is left to reply to: stop the handlers' work.
    for (const call of this.inFlight.entries()) {
      call.controller?.abort(new RpcError('CANCELLED', 'the client connection closed', { reason: ErrorReason.CONNECTION_LOST }));
      this.settle(call, Sample.NONE);
    }
    this.streams?.closeAll();
    this.onClosed(this);
    this.resolveClosed();
  }
}

// A module-level function, so the refusal timer needs no closure.
function destroyRefused(conn: Connection): void {
  conn.destroy('peer kept the connection open after its handshake was refused');
}
