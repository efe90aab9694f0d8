import { runWithContext, type Peer } from '../call';
import { ErrorReason, RpcError, type RpcCode } from '../errors';
import type { Codec, RequestMessage } from '../protocol';
// Names read for every stream message come straight from their files (the hot-path files of the
// import rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { FrameFlags, FrameType } from '../protocol/frame';
import { decodeCredit } from '../protocol/stream-frames';
import type { Connection } from '../transport';
import { type ResolvedStreamWindow, TurnBudget } from '../stream';
import type { MethodEntry } from './dispatcher';
import { ServerStream, ServerStreamCall, type StreamConnectionHost } from './server-stream';

/** The default of `limits.maxStreamsPerConnection`: 100 open streams on one connection. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 100;

// Node clamps longer timers to 1 ms; a stream asking for this long or longer has no deadline.
const MAX_TIMER_MS = 2_147_483_647;

/** Stream settings of a server, shared by its connections. */
export interface ServerStreamOptions {
  /** The window granted for each stream's input. */
  window: ResolvedStreamWindow;
  maxStreamsPerConnection: number;
}

/** What the stream table needs from its ServerConnection. */
export interface StreamTableOwner {
  readonly conn: Connection;
  /** Sends an ERROR frame, trimmed to the client's limit. */
  sendError(id: number, code: RpcCode, message: string, details: unknown, flags: number): void;
  /** Sends what a handler's chain threw, as a unary call's failure is sent. */
  sendFailure(id: number, service: string, method: string, err: unknown): void;
  /** Sends a handler's value as a RESPONSE (encode and size checks as for unary). */
  sendResult(id: number, service: string, method: string, value: unknown): void;
  /** True while a unary call holds `id`. */
  isUnaryInFlight(id: number): boolean;
  /** A stream closed: the owner checks whether it is now idle. */
  streamClosed(): void;
}

/**
 * The stream table of one server connection, made on its first stream (a connection that never
 * streams pays nothing). It opens streams, routes STREAM_DATA, STREAM_END, STREAM_CREDIT and
 * CANCEL frames to them, and ends each exactly once: END, RESPONSE or ERROR, or nothing when the
 * client cancelled or left.
 */
export class ServerStreams implements StreamConnectionHost {
  private readonly table = new Map<number, ServerStream>();
  readonly budget = new TurnBudget();
  readonly conn: Connection;
  readonly window: ResolvedStreamWindow;

  constructor(
    private readonly owner: StreamTableOwner,
    readonly codec: Codec,
    readonly streamRecords: boolean,
    readonly peerMaxFrameBytes: number,
    private readonly peer: Peer,
    private readonly opts: ServerStreamOptions,
  ) {
    this.conn = owner.conn;
    this.window = opts.window;
  }

  /** Open streams. */
  get size(): number {
    return this.table.size;
  }

  /** True while a stream holds `id`. */
  has(id: number): boolean {
    return this.table.has(id);
  }

  /**
   * Opens a stream for a REQUEST the connection decoded and routed (`entry`), or refuses it:
   * a stream flag that does not match the method's kind is UNIMPLEMENTED, never a hang.
   */
  open(id: number, flags: number, req: RequestMessage, entry: MethodEntry): void {
    const name = `${entry.service}.${entry.method}`;
    const kind = entry.stream;
    if (kind === undefined) {
      this.owner.sendError(id, 'UNIMPLEMENTED', `${name} is a unary method; call it without opening a stream`, { reason: ErrorReason.STREAMS_UNSUPPORTED }, 0);
      return;
    }
    if ((flags & FrameFlags.STREAM) === 0) {
      this.owner.sendError(id, 'UNIMPLEMENTED', `${name} is a ${kind} stream; call it with a client that speaks streams`, { reason: ErrorReason.STREAMS_UNSUPPORTED }, 0);
      return;
    }
    const max = this.opts.maxStreamsPerConnection;
    if (this.table.size >= max) {
      this.owner.sendError(id, 'RESOURCE_EXHAUSTED', `more than ${max} streams open on this connection`, { reason: ErrorReason.TOO_MANY_STREAMS }, FrameFlags.NOT_PROCESSED);
      return;
    }
    if (id === 0) {
      this.owner.sendError(id, 'INVALID_ARGUMENT', 'request id 0 is reserved for connection-level frames', { reason: ErrorReason.BAD_REQUEST }, 0);
      return;
    }
    if (this.table.has(id) || this.owner.isUnaryInFlight(id)) {
      this.owner.sendError(id, 'INVALID_ARGUMENT', `request id ${id} is already in flight`, { reason: ErrorReason.BAD_REQUEST }, 0);
      return;
    }
    // A stream has no default deadline: the client sends the timer cap when it has none.
    let timeoutMs: number | undefined = req.timeoutMs >= MAX_TIMER_MS ? undefined : req.timeoutMs;
    if (entry.timeoutMs !== undefined && (timeoutMs === undefined || entry.timeoutMs < timeoutMs)) timeoutMs = entry.timeoutMs;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const ctx = new ServerStreamCall(entry.service, entry.method, req.args, req.metadata, deadline, this.peer, kind);
    const stream = new ServerStream(id, ctx, this);
    ctx.io = stream;
    // The handler's first parameter is its input; the wire carries only the other arguments.
    if (stream.input !== null) ctx.args = [stream.input, ...req.args];
    this.table.set(id, stream);
    if (timeoutMs !== undefined) {
      stream.timer = setTimeout(() => this.abort(stream, new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded', { reason: ErrorReason.DEADLINE }), true), timeoutMs);
    }
    let result: unknown;
    try {
      result = runWithContext(ctx, entry.run);
    } catch (err) {
      this.fail(stream, err);
      return;
    }
    Promise.resolve(result).then(
      (value) => this.complete(stream, value),
      (err: unknown) => this.fail(stream, err),
    );
  }

  /** Routes a stream frame; frames for a stream that has ended are dropped (they crossed its end). */
  onFrame(type: number, id: number, payload: Buffer): void {
    const stream = this.table.get(id);
    if (stream === undefined) return;
    switch (type) {
      case FrameType.STREAM_DATA:
        this.onData(stream, payload);
        return;
      case FrameType.STREAM_END:
        stream.input?.end();
        return;
      case FrameType.STREAM_CREDIT: {
        const credit = decodeCredit(payload);
        if (credit === undefined) {
          this.abort(stream, new RpcError('INVALID_ARGUMENT', 'malformed STREAM_CREDIT frame', { reason: ErrorReason.BAD_REQUEST }), true);
          return;
        }
        stream.credit?.add(credit.messages, credit.bytes);
        return;
      }
    }
  }

  /** CANCEL from the client. False when no stream holds `id`. */
  cancel(id: number): boolean {
    const stream = this.table.get(id);
    if (stream === undefined) return false;
    this.abort(stream, new RpcError('CANCELLED', 'cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER }), false);
    return true;
  }

  /** The drain timed out: every open stream ends UNAVAILABLE. */
  abortAll(): void {
    for (const stream of [...this.table.values()]) {
      this.abort(stream, new RpcError('UNAVAILABLE', 'server shut down before the stream finished', { reason: ErrorReason.SERVER_SHUTDOWN }), true);
    }
  }

  /** The connection closed: nobody is left to tell, so the handlers are only stopped. */
  closeAll(): void {
    for (const stream of [...this.table.values()]) {
      this.abort(stream, new RpcError('CANCELLED', 'the client connection closed', { reason: ErrorReason.CONNECTION_LOST }), false);
    }
  }

  private onData(stream: ServerStream, payload: Buffer): void {
    const input = stream.input;
    let value: unknown;
    if (input !== null) {
      try {
        value = stream.codec.decode(payload);
      } catch (err) {
        this.abort(stream, new RpcError('INVALID_ARGUMENT', `undecodable stream message: ${(err as Error).message}`, { reason: ErrorReason.BAD_REQUEST }), true);
        return;
      }
      if (input.push(value, payload.length)) return;
    }
    this.abort(
      stream,
      new RpcError('RESOURCE_EXHAUSTED', `stream message sent past the flow-control window of ${this.window.messages} messages / ${this.window.bytes} bytes`, {
        reason: ErrorReason.STREAM_OVERRUN,
      }),
      true,
    );
  }

  private complete(stream: ServerStream, value: unknown): void {
    if (stream.done) return;
    if (stream.ctx.stream === 'client') this.owner.sendResult(stream.id, stream.ctx.service, stream.ctx.method, value);
    else stream.sendEnd();
    this.remove(stream);
    stream.release();
  }

  private fail(stream: ServerStream, err: unknown): void {
    if (stream.done) return;
    this.owner.sendFailure(stream.id, stream.ctx.service, stream.ctx.method, err);
    this.remove(stream);
    stream.release();
    // The chain failed around a generator still suspended (an encode failure, a stage that threw
    // after next()): let it clean up.
    stream.stopSource();
  }

  private abort(stream: ServerStream, err: RpcError, tell: boolean): void {
    if (stream.done) return;
    if (tell) this.owner.sendError(stream.id, err.code, err.message, err.details, 0);
    this.remove(stream);
    stream.abort(err);
  }

  private remove(stream: ServerStream): void {
    this.table.delete(stream.id);
    this.owner.streamClosed();
  }
}
