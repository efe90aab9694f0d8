import { C1, Packr, Unpackr } from 'msgpackr';
import type { Codec } from '../codec';

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
 */
export class MsgpackCodec implements Codec {
  readonly name = 'msgpack' as const;
  private readonly packr = new Packr({ moreTypes: true });
  private readonly unpackr = new Unpackr({ moreTypes: true });

  encode(value: unknown): Buffer {
    return this.packr.pack(value);
  }

  decode(bytes: Buffer): unknown {
    const value = this.unpackr.unpack(bytes);
    // 0xc1 is "never used" in msgpack; msgpackr hands back a marker instead of failing.
    if (value === C1) throw new Error('invalid msgpack: reserved byte 0xc1');
    return value;
  }
}
