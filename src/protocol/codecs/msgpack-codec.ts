import { C1, Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import type { Codec } from '../codec';
import { FRAME_HEADER_BYTES } from '../frame';

// msgpackr leaves the low byte's count of free bytes in front of what it writes.
const FRAMED = RESERVE_START_SPACE | FRAME_HEADER_BYTES;

// msgpackr packs into one working buffer shared by every Packr of the process, and starts a new
// one, as large as the last, when less than 2 KiB is left. Its default 8 KiB fills after a few
// 1 KiB messages, and each new buffer is an ArrayBuffer outside the heap: measured, packing a
// 1 KiB request took about 510 ns with 8 KiB buffers and 300 ns with 64 KiB ones (small messages
// cost the same either way). Larger gained nothing.
const WORKING_BUFFER_BYTES = 64 * 1024;
let workingBufferSized = false;

// msgpackr's { start, end } for a decode from an offset: one object, reused (msgpackr copies both
// numbers before it reads anything, so a nested decode cannot see another's).
const span = { start: 0, end: 0 };

/**
 * msgpack through msgpackr, the default codec.
 *
 * Records are on (msgpackr's default) and self-describing per message, so plain objects and Maps
 * stay distinct and Map survives the round trip; `moreTypes` keeps Uint8Array, Set and friends
 * as themselves. No structures are shared between messages, so any two peers can talk without
 * agreeing on state. msgpackr renames a `__proto__` key on decode, so a payload cannot reach a
 * prototype.
 *
 * A plain msgpack map (what a non-msgpackr peer sends for an object) decodes as a JS Map, since
 * maps are how Map travels; request metadata accepts either (see decodeRequest).
 *
 * `pack` returns a view of msgpackr's working buffer, and the next `pack` writes after it (or in a
 * new buffer), never over it: only `REUSE_BUFFER_MODE`/`RESET_BUFFER_MODE` rewind, and neither is
 * used here (`useBuffer`, called once, hands msgpackr a fresh buffer). So a frame built by
 * `encodeFramed` can wait in the outbox while more are packed.
 */
export class MsgpackCodec implements Codec {
  readonly name = 'msgpack' as const;
  private readonly packr: Packr;
  private readonly unpackr: Unpackr;

  /**
   * @param sequential msgpackr's sequential records, for one stream's messages (see forStream):
   *   a record's keys are written with its first use and named by id after, across messages.
   */
  constructor(sequential = false) {
    this.packr = new Packr(sequential ? { moreTypes: true, sequential: true } : { moreTypes: true });
    this.unpackr = new Unpackr(sequential ? { moreTypes: true, sequential: true } : { moreTypes: true });
    if (!workingBufferSized) {
      this.packr.useBuffer(Buffer.allocUnsafeSlow(WORKING_BUFFER_BYTES));
      workingBufferSized = true;
    }
  }

  forStream(): Codec {
    return new MsgpackCodec(true);
  }

  encode(value: unknown): Buffer {
    return this.packr.pack(value);
  }

  encodeFramed(value: unknown, extraBytes = 0): Buffer {
    return this.packr.pack(value, extraBytes === 0 ? FRAMED : FRAMED + extraBytes);
  }

  decode(bytes: Buffer, start = 0): unknown {
    let value: unknown;
    if (start === 0) {
      value = this.unpackr.unpack(bytes);
    } else {
      span.start = start;
      span.end = bytes.length;
      value = this.unpackr.unpack(bytes, span);
    }
    // 0xc1 is "never used" in msgpack; msgpackr hands back a marker instead of failing.
    if (value === C1) throw new Error('invalid msgpack: reserved byte 0xc1');
    return value;
  }
}
