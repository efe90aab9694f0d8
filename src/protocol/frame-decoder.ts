import { FRAME_HEADER_BYTES, type FrameHandler } from './frame';

const enum State {
  Header,
  Payload,
  Failed,
}

/** Why the decoder stopped: the connection that fed it must be closed. */
export interface FrameDecodeError {
  reason: 'FRAME_TOO_LARGE';
  length: number;
  limit: number;
}

/**
 * Turns a byte stream into frames, however TCP splits or merges them.
 *
 * A three-state machine (header, payload, failed). The declared length is checked against the
 * limit as soon as the header is complete, before anything is allocated. A frame that lies whole
 * inside one chunk is handed out as a view of that chunk (no copy); a frame that spans chunks is
 * allocated once at its final size and filled, never grown by concatenation.
 */
export class FrameDecoder {
  private state = State.Header;
  private readonly header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private payload: Buffer | null = null;
  private payloadFilled = 0;
  private type = 0;
  private flags = 0;
  private id = 0;
  /** When the current frame's first byte arrived (see FrameHandler). */
  private arrivedAtMs = 0;

  /**
   * @param onFrame receives each complete frame.
   * @param onError called once when the stream cannot be framed; the decoder then ignores input.
   * @param maxFrameBytes the largest payload accepted; may be raised after the handshake.
   */
  constructor(
    private readonly onFrame: FrameHandler,
    private readonly onError: (err: FrameDecodeError) => void,
    public maxFrameBytes: number,
  ) {}

  /** True once the decoder has failed. */
  get failed(): boolean {
    return this.state === State.Failed;
  }

  /**
   * Feeds one chunk. Frames are delivered synchronously, in order. `arrivedAtMs` is when the chunk
   * was read (`performance.now()`, read once per chunk by the caller, not per frame); a frame split
   * over chunks keeps the time of its first one.
   */
  push(chunk: Buffer, arrivedAtMs: number = performance.now()): void {
    let offset = 0;
    const end = chunk.length;
    while (offset < end && this.state !== State.Failed) {
      if (this.state === State.Header) {
        // Fast path: a whole header, and maybe the whole frame, in this chunk.
        if (this.headerFilled === 0 && end - offset >= FRAME_HEADER_BYTES) {
          const length = u32At(chunk, offset);
          if (!this.beginFrame(length, chunk[offset + 4], chunk[offset + 5], u32At(chunk, offset + 6))) return;
          offset += FRAME_HEADER_BYTES;
          if (end - offset >= length) {
            const payload = chunk.subarray(offset, offset + length);
            offset += length;
            this.state = State.Header;
            this.onFrame(this.type, this.flags, this.id, payload, arrivedAtMs);
            continue;
          }
          this.arrivedAtMs = arrivedAtMs;
          this.startPayload(length);
          continue;
        }
        if (this.headerFilled === 0) this.arrivedAtMs = arrivedAtMs;
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, end - offset);
        chunk.copy(this.header, this.headerFilled, offset, offset + take);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < FRAME_HEADER_BYTES) return;
        this.headerFilled = 0;
        const h = this.header;
        const length = u32At(h, 0);
        if (!this.beginFrame(length, h[4], h[5], u32At(h, 6))) return;
        if (length === 0) {
          this.onFrame(this.type, this.flags, this.id, EMPTY, this.arrivedAtMs);
          continue;
        }
        // The header was split, so the payload starts in this chunk at the earliest.
        if (end - offset >= length) {
          const payload = chunk.subarray(offset, offset + length);
          offset += length;
          this.onFrame(this.type, this.flags, this.id, payload, this.arrivedAtMs);
          continue;
        }
        this.startPayload(length);
      } else {
        const payload = this.payload as Buffer;
        const take = Math.min(payload.length - this.payloadFilled, end - offset);
        chunk.copy(payload, this.payloadFilled, offset, offset + take);
        this.payloadFilled += take;
        offset += take;
        if (this.payloadFilled < payload.length) return;
        this.payload = null;
        this.state = State.Header;
        this.onFrame(this.type, this.flags, this.id, payload, this.arrivedAtMs);
      }
    }
  }

  /** True when some bytes of a frame have arrived but not all of it. */
  get hasPartialFrame(): boolean {
    return this.headerFilled > 0 || this.state === State.Payload;
  }

  private beginFrame(length: number, type: number, flags: number, id: number): boolean {
    if (length > this.maxFrameBytes) {
      this.state = State.Failed;
      this.payload = null;
      this.onError({ reason: 'FRAME_TOO_LARGE', length, limit: this.maxFrameBytes });
      return false;
    }
    this.type = type;
    this.flags = flags;
    this.id = id;
    return true;
  }

  private startPayload(length: number): void {
    this.payload = Buffer.allocUnsafe(length);
    this.payloadFilled = 0;
    this.state = State.Payload;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The big-endian u32 at `offset`, which the caller has checked is in bounds: readUInt32BE checks
 * its argument again, and that showed in profiles at two reads per frame.
 */
function u32At(b: Buffer, offset: number): number {
  return b[offset] * 0x1000000 + ((b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3]);
}
