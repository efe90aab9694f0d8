import { RivetConfigError, RivetErrorCode } from '../../errors';
import type { Codec, CodecName } from '../codec';
import { JsonCodec } from './json-codec';
import { MsgpackCodec } from './msgpack-codec';

export { MsgpackCodec } from './msgpack-codec';
export { JsonCodec } from './json-codec';

/** A new codec by name. Throws RivetConfigError for a name Rivet does not ship. */
export function createCodec(name: CodecName): Codec {
  switch (name) {
    case 'msgpack':
      return new MsgpackCodec();
    case 'json':
      return new JsonCodec();
    default:
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `codec must be 'msgpack' or 'json', got ${JSON.stringify(name)}.`);
  }
}
