import { FRAME_HEADER_BYTES } from './frame';

const EMPTY = Buffer.alloc(0);

// Above this, copying the payload behind the header costs more than a second buffer in writev.
const COPY_LIMIT_BYTES = 64 * 1024;

/**
 * Encodes one frame. Small frames come back as one buffer (one allocation, header and payload
 * together, so the socket writes each frame in one piece); a large payload is not copied and the
 * frame comes back as [header, payload].
 */
export function encodeFrame(type: number, flags: number, id: number, payload: Uint8Array = EMPTY): Buffer | [Buffer, Buffer] {
  const length = payload.length;
  if (length > COPY_LIMIT_BYTES) {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    writeHeader(header, length, type, flags, id);
    return [header, Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length)];
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  writeHeader(frame, length, type, flags, id);
  if (length > 0) frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Writes the header of a frame built by `Codec.encodeFramed` (payload behind `FRAME_HEADER_BYTES`
 * free bytes), in place, and returns the frame: the same bytes `encodeFrame` gives for that
 * payload, with no copy. The payload length is `frame.length - FRAME_HEADER_BYTES`.
 */
export function finishFrame(frame: Buffer, type: number, flags: number, id: number): Buffer {
  writeHeader(frame, frame.length - FRAME_HEADER_BYTES, type, flags, id);
  return frame;
}

// Byte stores rather than writeUInt32BE, whose argument checks showed in profiles at a frame per
// call. Both numbers are u32 already: a Buffer cannot hold 4 GiB, and ids are made u32.
function writeHeader(target: Buffer, length: number, type: number, flags: number, id: number): void {
  target[0] = length >>> 24;
  target[1] = length >>> 16;
  target[2] = length >>> 8;
  target[3] = length;
  target[4] = type;
  target[5] = flags;
  target[6] = id >>> 24;
  target[7] = id >>> 16;
  target[8] = id >>> 8;
  target[9] = id;
}
