import { FRAME_HEADER_BYTES, FrameType, STREAM_CREDIT_PAYLOAD_BYTES } from './frame';

/** The handshake feature that says a peer speaks streams (STREAM_DATA, STREAM_END, STREAM_CREDIT). */
export const STREAMS_FEATURE = 'streams';

/**
 * The handshake feature that says a peer reads a stream's msgpack messages in order, with records
 * defined once per stream (Codec.forStream, docs/PROTOCOL.md §10). Without it, every message of a
 * stream carries its own record definitions, as a call does.
 */
export const STREAM_RECORDS_FEATURE = 'stream-records';

/** The kinds of stream a method can be: the server streams, the client streams, or both. */
export type StreamKind = 'server' | 'client' | 'bidi';

/** Every StreamKind, for checks. */
export const STREAM_KINDS: readonly StreamKind[] = ['server', 'client', 'bidi'];

// The largest count a u32 credit field carries. Grants are clamped to it, never wrapped.
const MAX_U32 = 0xffff_ffff;

/**
 * Encodes a STREAM_CREDIT frame for stream `id`: `messages` and `bytes` more that the peer may
 * send. One allocation, header and payload together.
 */
export function encodeCreditFrame(id: number, messages: number, bytes: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + STREAM_CREDIT_PAYLOAD_BYTES);
  frame.writeUInt32BE(STREAM_CREDIT_PAYLOAD_BYTES, 0);
  frame[4] = FrameType.STREAM_CREDIT;
  frame[5] = 0;
  frame.writeUInt32BE(id >>> 0, 6);
  frame.writeUInt32BE(Math.min(messages, MAX_U32), 10);
  frame.writeUInt32BE(Math.min(bytes, MAX_U32), 14);
  return frame;
}

/** Reads a STREAM_CREDIT payload; undefined when it is not 8 bytes. */
export function decodeCredit(payload: Buffer): { messages: number; bytes: number } | undefined {
  if (payload.length !== STREAM_CREDIT_PAYLOAD_BYTES) return undefined;
  return { messages: payload.readUInt32BE(0), bytes: payload.readUInt32BE(4) };
}
