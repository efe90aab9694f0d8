// Names read on every call come straight from their files (the hot-path files of the import
// rules): a folder's index.ts re-exports them as getters, which cost a lookup on each read.
import { ErrorReason } from '../../errors/error-reason';
import { RpcError } from '../../errors/rpc-error';
import type { Codec } from '../../protocol';
import { FrameFlags, FrameType } from '../../protocol/frame';
import { LOAD_REPORT_BYTES, type LoadReport, readLoadReport } from '../../protocol/load-report';
import { decodeError } from '../../protocol/messages';
import type { Pending } from './pending';

/**
 * Where a reply's load report goes: the channel keeps the last one for its endpoint's load
 * factor (client/routing/endpoint.ts), as plain fields, since a pick reads them.
 */
export interface LoadReportSink {
  /** The server's load as its last reply reported it (protocol v2; docs/overload.md), or null. */
  serverLoad: LoadReport | null;
  /** turnNowMs() when `serverLoad` arrived. */
  serverLoadAtMs: number;
}

/**
 * Settles `p`, already out of the pending table, with a RESPONSE or ERROR frame: a v2 server's
 * load report in front of the payload goes to `sink` (stamped `now`), then the reply is decoded
 * and `p` resolves with the value or rejects with the server's error. An undecodable reply
 * rejects with INTERNAL. A plain function called by the one channel class, so the call stays
 * monomorphic and allocates nothing the inline code did not.
 */
export function settleReply(p: Pending, type: number, flags: number, payload: Buffer, codec: Codec, now: number, sink: LoadReportSink): void {
  // The reply is decoded from behind the report rather than from a subarray: a Buffer object
  // fewer per reply, and msgpackr would also build a DataView for that new Buffer.
  let start = 0;
  if ((flags & FrameFlags.LOAD_REPORT) !== 0 && payload.length >= LOAD_REPORT_BYTES) {
    sink.serverLoad = readLoadReport(payload, sink.serverLoad ?? undefined);
    sink.serverLoadAtMs = now;
    start = LOAD_REPORT_BYTES;
  }
  if (type === FrameType.RESPONSE) {
    let value: unknown;
    try {
      value = codec.decode(payload, start);
    } catch (err) {
      p.reject(new RpcError('INTERNAL', `undecodable reply: ${(err as Error).message}`, { reason: ErrorReason.BAD_REQUEST }));
      return;
    }
    p.resolve(value);
  } else {
    const e = decodeError(codec, payload, start);
    p.reject(new RpcError(e.code, e.message, e.details, { notProcessed: (flags & FrameFlags.NOT_PROCESSED) !== 0 }));
  }
}
