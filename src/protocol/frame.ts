/**
 * The frame layout (docs/PROTOCOL.md is the full description):
 *
 *   0        4      5       6          10
 *   | length | type | flags | id (u32) | payload (length bytes) |
 *
 * All integers are big-endian. `length` counts the payload only, so the receiver knows the size
 * of the whole frame from the first 4 bytes and can refuse an oversize frame before buffering it.
 */
export const FRAME_HEADER_BYTES = 10;

/** The largest payload a peer accepts unless the handshake agrees otherwise: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** The largest handshake frame accepted before a codec and limit are agreed: 64 KiB. */
export const MAX_HANDSHAKE_FRAME_BYTES = 64 * 1024;

/** Frame types. Numbers are part of the wire format: never renumber. */
export const FrameType = {
  /** Client → server, first frame: protocol versions, codecs, limits (JSON). */
  HELLO: 1,
  /** Server → client: the agreed version, codec and limits, or a refusal (JSON). */
  HELLO_ACK: 2,
  /** Client → server: one call (codec-encoded RequestMessage). */
  REQUEST: 3,
  /** Server → client: a call's result (codec-encoded value). */
  RESPONSE: 4,
  /** Server → client: a call's failure (codec-encoded ErrorMessage). */
  ERROR: 5,
  /** Client → server: stop working on request `id`; no reply is expected. */
  CANCEL: 6,
  /** Either way: liveness probe; the peer answers PONG with the same id. */
  PING: 7,
  PONG: 8,
  /** Server → client: the server is draining; send new calls elsewhere. */
  DRAIN: 9,
  /**
   * Streams (docs/PROTOCOL.md §10) take the block from 16, apart from the call frames, and are
   * sent only to a peer that listed the `streams` feature in its handshake.
   * Either way: one message of stream `id` (codec-encoded value).
   */
  STREAM_DATA: 16,
  /** Either way: the sender of stream `id` sends no more messages (client: input done; server: the stream completed). */
  STREAM_END: 17,
  /** Either way: the receiver of stream `id` grants more credit: u32 messages, u32 bytes. */
  STREAM_CREDIT: 18,
} as const;

/** One of {@link FrameType}. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** True when `n` is a frame type this version understands. */
export function isKnownFrameType(n: number): n is FrameType {
  return (n >= FrameType.HELLO && n <= FrameType.DRAIN) || (n >= FrameType.STREAM_DATA && n <= FrameType.STREAM_CREDIT);
}

/** Flag bits. */
export const FrameFlags = {
  NONE: 0,
  /** On ERROR: the request never reached a handler, so it may safely be sent elsewhere. */
  NOT_PROCESSED: 1,
  /** On REQUEST: the call opens a stream (the method's kind is in the HELLO_ACK); only to a peer with the `streams` feature. */
  STREAM: 2,
  /**
   * On RESPONSE and ERROR, protocol version 2 only: the payload starts with the server's
   * {@link LOAD_REPORT_BYTES}-byte load report (see load-report.ts), then the codec-encoded value.
   */
  LOAD_REPORT: 4,
} as const;

/** The payload of a STREAM_CREDIT frame: two u32, messages then bytes. */
export const STREAM_CREDIT_PAYLOAD_BYTES = 8;

/**
 * Receives decoded frames. `payload` may be a view into a socket chunk: copy it to keep it past the
 * call. `arrivedAtMs` is the `performance.now()` of the read that brought the frame's first byte:
 * a server counts a request's wait from it (time spent decoding or queued behind other work
 * counts), never from when the frame was handed out.
 */
export type FrameHandler = (type: number, flags: number, id: number, payload: Buffer, arrivedAtMs: number) => void;
