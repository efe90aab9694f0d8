import type { Codec } from '../codec';
import { FRAME_HEADER_BYTES } from '../frame';

// JSON.parse makes "__proto__" an own property, which is harmless until user code copies the
// object with Object.assign or a spread merge; drop it so that never matters.
function dropProtoKeys(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

const PROTO_MARK = Buffer.from('__proto__');
// A key may spell __proto__ with \u escapes ("\u005f_proto__"), which only the reviver sees.
const ESCAPE_MARK = Buffer.from('\\u');

/**
 * JSON, for peers that cannot speak msgpack. Carries what JSON can: `undefined` becomes `null` in
 * arrays and disappears in objects, Dates become strings, Buffers become `{type, data}` objects.
 */
export class JsonCodec implements Codec {
  readonly name = 'json' as const;

  encode(value: unknown): Buffer {
    // `undefined` alone is not JSON; send null so the frame is always valid.
    return Buffer.from(JSON.stringify(value === undefined ? null : value));
  }

  encodeFramed(value: unknown, extraBytes = 0): Buffer {
    const text = JSON.stringify(value === undefined ? null : value);
    const start = FRAME_HEADER_BYTES + extraBytes;
    const frame = Buffer.allocUnsafe(start + Buffer.byteLength(text));
    frame.write(text, start);
    return frame;
  }

  forStream(): Codec {
    return this;
  }

  decode(bytes: Buffer, start = 0): unknown {
    const text = bytes.toString('utf8', start);
    // The reviver costs a call per value, so only pay it when the key can be present at all.
    return bytes.includes(PROTO_MARK, start) || bytes.includes(ESCAPE_MARK, start) ? JSON.parse(text, dropProtoKeys) : JSON.parse(text);
  }
}
