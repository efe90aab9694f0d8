import { remainingMs } from '../../call/deadline';
import { ErrorReason, RpcError } from '../../errors';
import { type Codec, descriptorStreamKind, type ServiceDescriptor } from '../../protocol';
// Names read for every stream message come straight from their files (the hot-path files of the
// import rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { FrameFlags, FrameType } from '../../protocol/frame';
import { encodeFrame, finishFrame } from '../../protocol/frame-encoder';
import { decodeCredit } from '../../protocol/stream-frames';
import { type ClientStreamAttempt, type ClientStreamState, TurnBudget } from '../../stream';
import type { IdTable } from '../../util';
import { turnNowMs } from '../../util/turn-clock';
import type { ChannelCall } from './channel-call';
import type { Session } from './connect';
import { Pending, type PendingOwner } from './pending';
import { encodeRequest } from './request-encoder';
import { ChannelStreamWire } from './stream-wire';

/** An attempt of a stream in flight, with the codec of its messages (Codec.forStream). */
interface OpenAttempt {
  readonly attempt: ClientStreamAttempt;
  readonly codec: Codec;
}

// The longest a server timer can wait; a stream with no deadline sends it, which the server reads as none.
const NO_DEADLINE_MS = 2_147_483_647;

/**
 * The REQUEST that opens one attempt of a stream (sent with the STREAM flag), or the RpcError the
 * attempt fails with before anything is sent: a server without streams, a method whose kind
 * (as the server advertised it) the caller's arguments cannot be made to fit, a deadline already
 * past, arguments that do not encode or do not fit the server's frame limit. The error is
 * returned, not thrown, so anything else that throws (a user's iterable) reaches the caller as
 * it always did.
 */
function encodeStreamOpen(
  session: Session,
  ctx: ChannelCall,
  state: ClientStreamState,
  advertised: Readonly<Record<string, ServiceDescriptor>>,
  address: string,
): Buffer | RpcError {
  const name = `${ctx.service}.${ctx.method}`;
  if (!session.streams) {
    return new RpcError('UNIMPLEMENTED', `${address} does not speak streams, so ${name} cannot be called`, { reason: ErrorReason.STREAMS_UNSUPPORTED }, { notProcessed: true });
  }
  // The server's word on the method's kind settles what the caller's arguments mean.
  const kind = descriptorStreamKind(advertised[ctx.service]?.methods[ctx.method]);
  if (kind !== undefined && kind !== state.kind) {
    if (!state.retarget(kind, ctx.args[0])) {
      const how = kind === 'client' ? 'call it with invoke()' : 'call it with stream()';
      return new RpcError('UNIMPLEMENTED', `${name} is a ${kind} stream; ${how}`, { reason: ErrorReason.STREAMS_UNSUPPORTED }, { notProcessed: true });
    }
    ctx.stream = kind;
  }
  let timeoutMs = NO_DEADLINE_MS;
  if (ctx.deadline !== undefined) {
    timeoutMs = remainingMs(ctx.deadline, Date.now());
    if (timeoutMs === 0) return new RpcError('DEADLINE_EXCEEDED', 'deadline exceeded before the stream was opened', { reason: ErrorReason.DEADLINE }, { notProcessed: true });
  }
  // A client or bidi stream's first argument is its input; the wire carries the rest.
  const args = state.kind === 'server' ? ctx.args : ctx.args.slice(1);
  try {
    return encodeRequest(session, ctx.service, ctx.method, args, ctx.metadata, timeoutMs); // unary and stream requests share one layout
  } catch (err) {
    return err as RpcError;
  }
}

/**
 * What the stream table needs of its channel, beyond the pending table it is handed: the
 * owner of a pending call (told when the call aborts), the next request id, and a word each time
 * a call settles (a draining channel closes once nothing is in flight).
 */
export interface StreamChannel extends PendingOwner {
  readonly address: string;
  nextId(): number;
  afterSettle(): void;
}

/**
 * A channel's stream side, made on its first stream so a channel that only makes unary calls
 * pays nothing for streams: it opens attempts and routes their frames. An attempt is pending like
 * a call, in the channel's pending table (which the channel settles on RESPONSE, ERROR, cancel
 * or loss); it is in this table too for as long as it is open, and this table settles it on
 * STREAM_END or on a bad frame.
 */
export class ChannelStreams {
  private readonly attempts = new Map<number, OpenAttempt>();
  /** One budget of frames per turn for all the channel's streams (stream/turn-budget.ts). */
  private readonly budget = new TurnBudget();

  constructor(
    private readonly channel: StreamChannel,
    private readonly pending: IdTable<Pending>,
  ) {}

  /**
   * Opens one attempt of a stream: a REQUEST with the STREAM flag, then the stream's window. A
   * server without streams is refused before anything is sent (see encodeStreamOpen).
   */
  open(ctx: ChannelCall, session: Session, advertised: Readonly<Record<string, ServiceDescriptor>>): Promise<unknown> {
    const state = ctx.streamState as ClientStreamState;
    const frame = encodeStreamOpen(session, ctx, state, advertised, this.channel.address);
    if (frame instanceof RpcError) return Promise.reject(frame);
    const id = this.channel.nextId();
    return new Promise((resolve, reject) => {
      const p = new Pending(this.channel, id, resolve, reject, ctx, turnNowMs());
      this.pending.set(id, p);
      ctx.watcher = p;
      session.conn.send(finishFrame(frame, FrameType.REQUEST, FrameFlags.STREAM, id));
      // One codec per attempt when the server reads records defined once per stream; its decoder
      // reads the server's messages, its encoder writes the caller's input.
      const codec = session.streamRecords ? session.codec.forStream() : session.codec;
      const wire = new ChannelStreamWire(session.conn, codec, id, session.peerMaxFrameBytes, this.budget);
      this.attempts.set(id, { attempt: state.beginAttempt(wire), codec });
    });
  }

  /** Forgets and closes an attempt (it settled, or was cancelled); returns whether there was one. */
  end(id: number): boolean {
    const open = this.attempts.get(id);
    if (open === undefined) return false;
    this.attempts.delete(id);
    open.attempt.close();
    return true;
  }

  /** Closes every attempt: the connection is gone, or the channel closed (its calls fail apart). */
  closeAll(): void {
    for (const open of this.attempts.values()) open.attempt.close();
    this.attempts.clear();
  }

  /** STREAM_DATA, STREAM_END and STREAM_CREDIT on `session`; frames of a stream that ended are dropped. */
  onFrame(type: number, id: number, payload: Buffer, session: Session): void {
    const open = this.attempts.get(id);
    if (open === undefined) return;
    const attempt = open.attempt;
    // In `pending` for as long as it is in `attempts`: both are left together.
    const p = this.pending.get(id) as Pending;
    if (type === FrameType.STREAM_CREDIT) {
      const credit = decodeCredit(payload);
      if (credit !== undefined) attempt.onCredit(credit.messages, credit.bytes);
      else this.settle(p, session, new RpcError('INTERNAL', 'malformed STREAM_CREDIT frame', { reason: ErrorReason.BAD_REQUEST }));
      return;
    }
    if (type === FrameType.STREAM_END) {
      this.settle(p, session, null);
      return;
    }
    let value: unknown;
    try {
      value = open.codec.decode(payload);
    } catch (err) {
      this.settle(p, session, new RpcError('INTERNAL', `undecodable stream message: ${(err as Error).message}`, { reason: ErrorReason.BAD_REQUEST }));
      return;
    }
    if (!attempt.onData(value, payload.length)) {
      this.settle(p, session, new RpcError('RESOURCE_EXHAUSTED', 'the server sent a stream message past its flow-control credit', { reason: ErrorReason.STREAM_OVERRUN }));
    }
  }

  /**
   * Takes a stream out of both tables and settles it: its STREAM_END resolves it (`err` null);
   * `err` fails it from our side, and the server is told to stop.
   */
  private settle(p: Pending, session: Session, err: RpcError | null): void {
    this.pending.delete(p.id);
    if (p.call.watcher === p) p.call.watcher = null;
    this.end(p.id);
    if (err === null) {
      p.resolve(undefined);
    } else {
      session.conn.send(encodeFrame(FrameType.CANCEL, 0, p.id));
      p.reject(err);
    }
    this.channel.afterSettle();
  }
}
