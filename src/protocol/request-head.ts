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
  /**
   * Where the names' bytes start (the service length field, after the 4-byte timeout); they end at
   * `bodyOffset`: the span a server can look a method up by without decoding the names
   * (server/wire-method-cache.ts).
   */
  readonly namesAt = 4;
  /** Where the codec-encoded `[args, metadata]` start in the payload (and the names end). */
  bodyOffset = 0;
  private serviceEnd = 0;

  /** The service name, decoded on demand (a server that finds the method by its bytes never asks). */
  serviceName(payload: Buffer): string {
    return payload.toString('utf8', this.namesAt + 2, this.serviceEnd);
  }

  /** The method name, decoded on demand. */
  methodName(payload: Buffer): string {
    return payload.toString('utf8', this.serviceEnd + 2, this.bodyOffset);
  }

  /** @internal readRequestHead's setter. */
  setSpans(serviceEnd: number, bodyOffset: number): void {
    this.serviceEnd = serviceEnd;
    this.bodyOffset = bodyOffset;
  }
}

/**
 * Reads the head of a v2 REQUEST payload into `into` (a scratch object the caller reuses, so this
 * allocates nothing: the names are decoded only when asked for). Returns undefined, or what is
 * malformed.
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
  into.setSpans(mAt, bodyAt);
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
  const m = codec.decode(payload, bodyOffset);
  if (!Array.isArray(m) || m.length < 2) throw new Error('request body is not an [args, metadata] array');
  const args = m[0] as unknown;
  if (!Array.isArray(args)) throw new Error('request args must be an array');
  return { args, metadata: m[1] === null || m[1] === undefined ? {} : toMetadata(m[1]) };
}

// Encoded names by service, then method: the head's `svcLen service mLen method` bytes, encoded
// once per method rather than measured and written (four native calls) on every call. Bounded, since
// calls by name can carry any names: past the bound, names are encoded per call as before.
const namesCache = new Map<string, Map<string, Buffer>>();
let namesCached = 0;
const MAX_CACHED_NAMES = 1_024;

/** The head's names as bytes: u16 length, service, u16 length, method. Throws when either is 64 KiB or more. */
function encodedNames(service: string, method: string): Buffer {
  let byMethod = namesCache.get(service);
  const hit = byMethod?.get(method);
  if (hit !== undefined) return hit;
  const sLen = Buffer.byteLength(service);
  const mLen = Buffer.byteLength(method);
  if (sLen > 0xffff || mLen > 0xffff) throw new Error('service and method names must be under 64 KiB');
  const names = Buffer.allocUnsafeSlow(4 + sLen + mLen);
  names[0] = sLen >>> 8;
  names[1] = sLen;
  names.write(service, 2, 'utf8');
  names[2 + sLen] = mLen >>> 8;
  names[3 + sLen] = mLen;
  names.write(method, 4 + sLen, 'utf8');
  if (namesCached < MAX_CACHED_NAMES) {
    if (byMethod === undefined) namesCache.set(service, (byMethod = new Map()));
    byMethod.set(method, names);
    namesCached++;
  }
  return names;
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
  const names = encodedNames(service, method);
  const namesBytes = names.length;
  const headBytes = 4 + namesBytes;
  const body = [args, metadata];
  let frame: Buffer;
  if (headBytes <= MAX_EXTRA_FRAMED_BYTES) {
    frame = codec.encodeFramed(body, headBytes);
  } else {
    const encoded = codec.encode(body);
    frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + headBytes + encoded.length);
    encoded.copy(frame, FRAME_HEADER_BYTES + headBytes);
  }
  const at = FRAME_HEADER_BYTES;
  const t = timeoutMs > MAX_HEAD_TIMEOUT_MS ? MAX_HEAD_TIMEOUT_MS : timeoutMs;
  frame[at] = t / 0x1000000;
  frame[at + 1] = t >>> 16;
  frame[at + 2] = t >>> 8;
  frame[at + 3] = t;
  // Names are a few dozen bytes: a loop beats a native copy's call cost.
  if (namesBytes <= 64) {
    for (let i = 0; i < namesBytes; i++) frame[at + 4 + i] = names[i];
  } else {
    names.copy(frame, at + 4);
  }
  return frame;
}
