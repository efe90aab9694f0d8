import { ErrorReason, RpcError } from '../../errors';
import type { Codec } from '../../protocol';
// Names read for every stream message come straight from their files (the hot-path files of the
// import rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { FRAME_HEADER_BYTES, FrameType } from '../../protocol/frame';
import { encodeFrame, finishFrame } from '../../protocol/frame-encoder';
import { encodeCreditFrame } from '../../protocol/stream-frames';
import type { Connection } from '../../transport';
import type { StreamWire, TurnBudget } from '../../stream';

/** The frames of one client stream attempt, on its connection and id. */
export class ChannelStreamWire implements StreamWire {
  constructor(
    private readonly conn: Connection,
    private readonly codec: Codec,
    private readonly id: number,
    private readonly peerMaxFrameBytes: number,
    readonly budget: TurnBudget,
  ) {}

  sendData(value: unknown): number {
    let frame: Buffer;
    try {
      frame = this.codec.encodeFramed(value);
    } catch (err) {
      throw new RpcError('INVALID_ARGUMENT', `stream message could not be encoded: ${(err as Error).message}`, { reason: ErrorReason.ENCODE_FAILED });
    }
    const size = frame.length - FRAME_HEADER_BYTES;
    if (size > this.peerMaxFrameBytes) {
      throw new RpcError('RESOURCE_EXHAUSTED', `stream message of ${size} bytes exceeds the server's limit of ${this.peerMaxFrameBytes}`, { reason: ErrorReason.FRAME_TOO_LARGE });
    }
    this.conn.sendStreamData(finishFrame(frame, FrameType.STREAM_DATA, 0, this.id));
    return size;
  }

  sendEnd(): void {
    this.conn.send(encodeFrame(FrameType.STREAM_END, 0, this.id));
  }

  sendCredit(messages: number, bytes: number, promptly: boolean): void {
    const frame = encodeCreditFrame(this.id, messages, bytes);
    if (promptly) this.conn.sendNow(frame);
    else this.conn.send(frame);
  }
}
