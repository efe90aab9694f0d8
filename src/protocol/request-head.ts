import type { Codec } from './codec';
import { MAX_EXTRA_FRAMED_BYTES } from './codec';
import { FRAME_HEADER_BYTES } from './frame';
import { toMetadata } from './messages';

/*
 * Protocol version 2 puts what admission needs ahead of the arguments, in fixed binary fields, so a
 * server can refuse a request (expired, or shed under overload) without decoding its arguments:
 *
 *   0              4            6                 6+s          8+s               8+s+m
 *   | timeoutMs u32 | svcLen u16 | service (UTF-8) | mLen u16 | method (UTF-8) | codec-encoded [args, metadata | null] |
 *
 * Version 1 sends `[service, method, args, metadata, timeoutMs]` as one codec-encoded array
 * (messages.ts); a server decodes all of it before it knows the deadline.
 */

/** The largest `timeoutMs` the v2 head can carry (u32); larger remaining times are sent as this. */
export const MAX_HEAD_TIMEOUT_MS = 0xffff_ffff;

/** The admission facts of a v2 REQUEST, read without touching the arguments. */
export class RequestHead {
  timeoutMs = 0;
  service = '';
  method = '';
  /** Where the codec-encoded `[args, metadata]` start in the payload. */
  bodyOffset = 0;
}

/**
 * Reads the head of a v2 REQUEST payload into `into` (a scratch object the caller reuses, so this
 * allocates only the two names). Returns undefined, or what is malformed.
 */
export function readRequestHead(payload: Buffer, into: RequestHead): string | undefined {
  const n = payload.length;
  if (n < 8) return 'request head is truncated';
  into.timeoutMs = payload[0] * 0x1000000 + ((payload[1] << 16) | (payload[2] << 8) | payload[3]);
  const sLen = (payload[4] << 8) | payload[5];
  const mAt = 6 + sLen;
  if (mAt + 2 > n) return 'request head is truncated';
  const mLen = (payload[mAt] << 8) | payload[mAt + 1];
  const bodyAt = mAt + 2 + mLen;
  if (bodyAt > n) return 'request head is truncated';
  into.service = payload.toString('utf8', 6, mAt);
  into.method = payload.toString('utf8', mAt + 2, bodyAt);
  into.bodyOffset = bodyAt;
  return undefined;
}

/** The body of a v2 request, checked. */
export interface RequestBody {
  args: unknown[];
  metadata: Record<string, string>;
}

/**
 * Decodes and checks the body of a v2 REQUEST (what follows the head). Throws an Error saying
 * what is malformed, with the same messages as decodeRequest.
 */
export function decodeRequestBody(codec: Codec, payload: Buffer, bodyOffset: number): RequestBody {
  const m = codec.decode(payload.subarray(bodyOffset));
  if (!Array.isArray(m) || m.length < 2) throw new Error('request body is not an [args, metadata] array');
  const args = m[0] as unknown;
  if (!Array.isArray(args)) throw new Error('request args must be an array');
  return { args, metadata: m[1] === null || m[1] === undefined ? {} : toMetadata(m[1]) };
}

/**
 * Encodes a v2 REQUEST as a frame whose header is still to be written (`finishFrame`). Names whose
 * head does not fit the codec's reserve (over ~230 bytes together) cost one copy.
 */
export function encodeRequestV2Framed(
  codec: Codec,
  service: string,
  method: string,
  args: unknown[],
  metadata: Record<string, string> | null,
  timeoutMs: number,
): Buffer {
  const sLen = Buffer.byteLength(service);
  const mLen = Buffer.byteLength(method);
  const headBytes = 8 + sLen + mLen;
  if (sLen > 0xffff || mLen > 0xffff) throw new Error('service and method names must be under 64 KiB');
  const body = [args, metadata];
  let frame: Buffer;
  if (headBytes <= MAX_EXTRA_FRAMED_BYTES) {
    frame = codec.encodeFramed(body, headBytes);
  } else {
    const encoded = codec.encode(body);
    frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + headBytes + encoded.length);
    encoded.copy(frame, FRAME_HEADER_BYTES + headBytes);
  }
  let at = FRAME_HEADER_BYTES;
  const t = timeoutMs > MAX_HEAD_TIMEOUT_MS ? MAX_HEAD_TIMEOUT_MS : timeoutMs;
  frame[at] = t / 0x1000000;
  frame[at + 1] = t >>> 16;
  frame[at + 2] = t >>> 8;
  frame[at + 3] = t;
  frame[at + 4] = sLen >>> 8;
  frame[at + 5] = sLen;
  at += 6;
  at += frame.write(service, at, 'utf8');
  frame[at] = mLen >>> 8;
  frame[at + 1] = mLen;
  frame.write(method, at + 2, 'utf8');
  return frame;
}
