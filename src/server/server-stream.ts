import type { CallContext, Peer } from '../call';
import { ErrorReason, RpcError } from '../errors';
import type { Codec, StreamKind } from '../protocol';
// Names read for every stream message come straight from their files (the hot-path files of the
// import rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { FRAME_HEADER_BYTES, FrameType } from '../protocol/frame';
import { encodeFrame, finishFrame } from '../protocol/frame-encoder';
import { encodeCreditFrame } from '../protocol/stream-frames';
import type { Connection } from '../transport';
import { pump, type PumpSink, ReceiveWindow, type ResolvedStreamWindow, SendCredit, StreamReceiver, toAsyncIterator, type TurnBudget } from '../stream';
import { ServerCall } from './server-call';

/** What a server stream needs from its connection (ServerStreams provides it). */
export interface StreamConnectionHost {
  readonly conn: Connection;
  /** The connection's codec. */
  readonly codec: Codec;
  /** The client agreed `stream-records`: each stream gets a codec of its own (Codec.forStream). */
  readonly streamRecords: boolean;
  readonly peerMaxFrameBytes: number;
  readonly budget: TurnBudget;
  /** The window this server grants for a stream's input. */
  readonly window: ResolvedStreamWindow;
}

/** The CallContext of a streaming call on the server: `stream` says which side streams. */
export class ServerStreamCall extends ServerCall {
  /** @internal the stream's state, for the innermost stage. */
  io: ServerStream | null = null;

  constructor(service: string, method: string, args: unknown[], metadata: Record<string, string>, deadline: number | undefined, peer: Peer | undefined, readonly stream: StreamKind) {
    super(service, method, args, metadata, deadline, peer);
  }
}

/**
 * The server's side of one stream: its input (a receiver the handler reads, for client and bidi
 * streams), its output (the credit the client granted, pumped from the handler's generator, for
 * server and bidi streams), and its one terminal outcome.
 *
 * States: open, then closed exactly once, by the chain settling (END, RESPONSE or ERROR sent by
 * ServerStreams) or from outside (cancel, deadline, overrun, drain timeout, connection loss). On
 * a close from outside the handler's signal aborts first, then the generator's `return()` runs
 * its `finally` blocks: `return()` cannot take effect while the generator awaits, the signal can.
 */
export class ServerStream implements PumpSink {
  /** The terminal error once closed from outside; undefined while open or after a normal end. */
  closedWith: unknown = undefined;
  done = false;
  /** The deadline timer, when the stream has a deadline. */
  timer: NodeJS.Timeout | undefined = undefined;
  readonly input: StreamReceiver | null;
  readonly credit: SendCredit | null;
  /** This stream's codec: it writes the handler's messages and reads the client's input, each in order. */
  readonly codec: Codec;
  private readonly inputWindow: ReceiveWindow | null;
  private source: AsyncIterator<unknown> | null = null;

  constructor(
    readonly id: number,
    readonly ctx: ServerStreamCall,
    private readonly host: StreamConnectionHost,
  ) {
    const kind = ctx.stream;
    this.codec = host.streamRecords ? host.codec.forStream() : host.codec;
    this.credit = kind === 'client' ? null : new SendCredit();
    this.inputWindow = kind === 'server' ? null : new ReceiveWindow(host.window);
    this.input =
      this.inputWindow === null
        ? null
        : new StreamReceiver(this.inputWindow, {
            grant: (messages, bytes, promptly) => {
              const frame = encodeCreditFrame(id, messages, bytes);
              if (promptly) host.conn.sendNow(frame);
              else host.conn.send(frame);
            },
            // The handler stopped reading its input: later input is ignored, and the client learns
            // from the stream's end that it may stop sending.
            cancel: () => undefined,
          });
  }

  /** Runs the handler: opens the input window, then awaits its reply or pumps its messages. */
  async run(handler: (ctx: CallContext) => unknown, ctx: CallContext): Promise<unknown> {
    if (this.inputWindow !== null) {
      // Credit for input only now, past every interceptor: a refused stream took no input, so
      // the client may still retry it.
      const g = this.inputWindow.open();
      this.host.conn.send(encodeCreditFrame(this.id, g.messages, g.bytes));
    }
    const out = handler(ctx);
    if (this.ctx.stream === 'client') return await out;
    const source = toAsyncIterator(out);
    if (source === undefined) {
      throw new RpcError('INTERNAL', `${this.ctx.service}.${this.ctx.method} is a ${this.ctx.stream} stream but did not return an async iterable`);
    }
    this.source = source;
    if (this.closedWith !== undefined) {
      this.stopSource();
      throw this.closedWith;
    }
    await pump(source, this.credit as SendCredit, this.host.budget, this);
    return undefined;
  }

  /** Encodes and sends one message (PumpSink). */
  send(value: unknown): number {
    let frame: Buffer;
    try {
      frame = this.codec.encodeFramed(value);
    } catch (err) {
      throw new RpcError('INTERNAL', `stream message could not be encoded: ${(err as Error).message}`, { reason: ErrorReason.ENCODE_FAILED });
    }
    const size = frame.length - FRAME_HEADER_BYTES;
    if (size > this.host.peerMaxFrameBytes) {
      throw new RpcError('RESOURCE_EXHAUSTED', `stream message of ${size} bytes exceeds the client's limit of ${this.host.peerMaxFrameBytes}`, {
        reason: ErrorReason.FRAME_TOO_LARGE,
      });
    }
    this.host.conn.sendStreamData(finishFrame(frame, FrameType.STREAM_DATA, 0, this.id));
    return size;
  }

  /** Sends END, for a server or bidi stream whose chain resolved. */
  sendEnd(): void {
    this.host.conn.send(encodeFrame(FrameType.STREAM_END, 0, this.id));
  }

  /**
   * Closes the stream with `err` from outside the chain: aborts the handler's signal, fails its
   * input, stops the sender and returns the generator. The caller sends the ERROR frame, if any.
   */
  abort(err: RpcError): void {
    this.closedWith = err;
    this.ctx.abort(err);
    this.input?.fail(err);
    this.release();
    this.stopSource();
  }

  /** Ends the stream's resources after its terminal frame: nothing more goes in or out. */
  release(): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.credit?.close();
    this.input?.discard();
  }

  /** Runs the generator's `finally` blocks (a finished generator ignores it). */
  stopSource(): void {
    const source = this.source;
    if (source === null || typeof source.return !== 'function') return;
    this.source = null;
    // A `finally` that throws has nobody left to tell; the stream's outcome is already decided.
    Promise.resolve()
      .then(() => source.return?.())
      .catch(() => undefined);
  }
}

/**
 * The innermost stage of a streaming method (see Dispatcher). Throws INTERNAL when an interceptor
 * passed `next()` a context other than the one it was given: a stream's state travels with it.
 */
export function runStreamHandler(ctx: CallContext, handler: (ctx: CallContext) => unknown): Promise<unknown> {
  const io = ctx instanceof ServerStreamCall ? ctx.io : null;
  if (io === null) {
    return Promise.reject(new RpcError('INTERNAL', `${ctx.service}.${ctx.method} is a stream: interceptors must pass next() the context they were given`));
  }
  return io.run(handler, ctx);
}
