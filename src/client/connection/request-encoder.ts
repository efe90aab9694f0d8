// Names read on every call come straight from their files (the hot-path files of the import
// rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { ErrorReason } from '../../errors/error-reason';
import { RpcError } from '../../errors/rpc-error';
import { FRAME_HEADER_BYTES } from '../../protocol/frame';
import { encodeRequestFramed } from '../../protocol/messages';
import { encodeRequestV2Framed } from '../../protocol/request-head';
import type { Session } from './connect';

/**
 * Encodes a REQUEST in the session's layout (protocol v2 puts the admission head ahead of the
 * arguments), as a payload behind room for the header, which the channel writes once the id is
 * known. Unary calls and streams share it. Throws the RpcError the call fails with when the
 * arguments do not encode (INVALID_ARGUMENT) or the request is larger than the server takes
 * (RESOURCE_EXHAUSTED); both are `notProcessed`, since nothing was sent. It throws rather than
 * returning the error so the channel's path for a call that encodes is one call and no test.
 */
export function encodeRequest(session: Session, service: string, method: string, args: unknown[], metadata: Record<string, string>, timeoutMs: number): Buffer {
  let frame: Buffer;
  try {
    frame =
      session.version >= 2
        ? encodeRequestV2Framed(session.codec, service, method, args, hasKeys(metadata) ? metadata : null, timeoutMs)
        : encodeRequestFramed(session.codec, service, method, args, metadata, timeoutMs);
  } catch (err) {
    throw new RpcError('INVALID_ARGUMENT', `arguments could not be encoded: ${(err as Error).message}`, { reason: ErrorReason.ENCODE_FAILED }, { notProcessed: true });
  }
  const payloadBytes = frame.length - FRAME_HEADER_BYTES;
  if (payloadBytes > session.peerMaxFrameBytes) {
    throw new RpcError(
      'RESOURCE_EXHAUSTED',
      `request of ${payloadBytes} bytes exceeds the server's limit of ${session.peerMaxFrameBytes}`,
      { reason: ErrorReason.FRAME_TOO_LARGE },
      { notProcessed: true },
    );
  }
  return frame;
}

// v2 sends no metadata map at all when there is none; `for in` answers without allocating.
function hasKeys(metadata: Record<string, string>): boolean {
  for (const _ in metadata) return true;
  return false;
}
