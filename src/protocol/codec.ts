/**
 * Turns values into bytes and back. A codec is chosen per connection by the handshake.
 * `decode` throws on malformed input (the caller maps that to INVALID_ARGUMENT) and must never
 * return an object whose prototype chain a payload could change (no `__proto__` keys).
 */
export interface Codec {
  /** The name agreed in the handshake: `'msgpack'` or `'json'`. */
  readonly name: CodecName;
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
}

/** The codecs Rivet ships. */
export type CodecName = 'msgpack' | 'json';

/** Every codec name, in order of preference. */
export const CODEC_NAMES: readonly CodecName[] = ['msgpack', 'json'];
