/**
 * Turns values into bytes and back. A codec is chosen per connection by the handshake.
 * `decode` throws on malformed input (the caller maps that to INVALID_ARGUMENT) and must never
 * return an object whose prototype chain a payload could change (no `__proto__` keys).
 */
export interface Codec {
  /** The name agreed in the handshake: `'msgpack'` or `'json'`. */
  readonly name: CodecName;
  encode(value: unknown): Buffer;
  /**
   * Encodes `value` behind `FRAME_HEADER_BYTES` free bytes: the result is a frame whose header is
   * still to be written (`finishFrame`), so the payload is written once and never copied. The
   * payload is `result.subarray(FRAME_HEADER_BYTES)`, the same bytes `encode` gives. The result
   * is the caller's to hold: a later encode never writes over it.
   *
   * `extraBytes` (default 0, at most {@link MAX_EXTRA_FRAMED_BYTES}) leaves that many more free
   * bytes between the header and the payload, for a fixed-size prefix the caller writes itself
   * (a request's admission head, a reply's load report): the payload then starts at
   * `FRAME_HEADER_BYTES + extraBytes`.
   */
  encodeFramed(value: unknown, extraBytes?: number): Buffer;
  /**
   * Decodes the one value in `bytes` from `start` (default 0) to the end. Giving `start` instead of
   * a `subarray` saves a Buffer object per message on the hot path (a v2 request's body follows
   * its head).
   */
  decode(bytes: Buffer, start?: number): unknown;
  /**
   * A codec for the messages of one stream, on a connection that agreed the `stream-records`
   * feature (docs/PROTOCOL.md §10): they are written and read in order, one after the other, so
   * msgpack defines a record's keys once per stream rather than once per message. A small message
   * then costs about half as much to encode and decode (W7's `{ seq, value }`: 810 → 330-440 ns to
   * encode, 790-840 → 325-385 ns to decode), and its bytes shrink to the values. JSON has no such state and
   * returns itself. The codec is one stream's alone: its encoder writes that stream's messages
   * and its decoder reads the peer's, each in order.
   */
  forStream(): Codec;
}

/** The most `encodeFramed` can leave free beyond the frame header (msgpackr reserves at most 255 bytes in all). */
export const MAX_EXTRA_FRAMED_BYTES = 245;

/** The codecs Rivet ships. */
export type CodecName = 'msgpack' | 'json';

/** Every codec name, in order of preference. */
export const CODEC_NAMES: readonly CodecName[] = ['msgpack', 'json'];
