import { rpcCodeFromNumber, rpcCodeToNumber, type RpcCode } from '../errors';
import type { Codec } from './codec';

/**
 * A request as it travels: a positional array, cheaper to encode and decode than an object.
 * `[service, method, args, metadata | null, timeoutMs]`; `timeoutMs` is what is left of the
 * caller's deadline when it was sent (clocks differ between hosts, so never an absolute time).
 */
export interface RequestMessage {
  service: string;
  method: string;
  args: unknown[];
  metadata: Record<string, string>;
  timeoutMs: number;
}

/** An error reply: `[codeNumber, message, details?]`. */
export interface ErrorMessage {
  code: RpcCode;
  message: string;
  details?: unknown;
}

/** Encodes a request payload. Throws what the codec throws for a value it cannot carry. */
export function encodeRequest(codec: Codec, service: string, method: string, args: unknown[], metadata: Record<string, string>, timeoutMs: number): Buffer {
  return codec.encode([service, method, args, hasKeys(metadata) ? metadata : null, timeoutMs]);
}

/**
 * Encodes a request as a REQUEST frame whose header is still to be written (`Codec.encodeFramed`,
 * then `finishFrame` once the id is known). The payload is `length - FRAME_HEADER_BYTES` bytes.
 */
export function encodeRequestFramed(
  codec: Codec,
  service: string,
  method: string,
  args: unknown[],
  metadata: Record<string, string>,
  timeoutMs: number,
): Buffer {
  return codec.encodeFramed([service, method, args, hasKeys(metadata) ? metadata : null, timeoutMs]);
}

function hasKeys(metadata: Record<string, string>): boolean {
  for (const _ in metadata) return true;
  return false;
}

/** Decodes and checks a request payload. Throws an Error saying what is malformed. */
export function decodeRequest(codec: Codec, payload: Buffer): RequestMessage {
  const m = codec.decode(payload);
  if (!Array.isArray(m) || m.length < 5) throw new Error('request is not a [service, method, args, metadata, timeoutMs] array');
  const [service, method, args, metadata, timeoutMs] = m as unknown[];
  if (typeof service !== 'string' || typeof method !== 'string') throw new Error('request service and method must be strings');
  if (!Array.isArray(args)) throw new Error('request args must be an array');
  const md = metadata === null ? {} : toMetadata(metadata);
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) throw new Error('request timeoutMs must be a finite number >= 0');
  return {
    service,
    method,
    args,
    // A fresh object per call: interceptors may add keys, and must not write into a shared one.
    metadata: md,
    timeoutMs,
  };
}

/**
 * Checks request metadata: an object of strings, or a Map of strings (what a plain msgpack map
 * from a non-msgpackr peer decodes to), returned as an object.
 */
export function toMetadata(metadata: unknown): Record<string, string> {
  if (metadata instanceof Map) {
    const out: Record<string, string> = {};
    for (const [k, v] of metadata) {
      if (typeof k !== 'string' || typeof v !== 'string') throw new Error(`request metadata '${String(k)}' is not a string`);
      if (k !== '__proto__') out[k] = v;
    }
    return out;
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new Error('request metadata must be a map of strings');
  for (const k in metadata) {
    if (typeof (metadata as Record<string, unknown>)[k] !== 'string') throw new Error(`request metadata '${k}' is not a string`);
  }
  return metadata as Record<string, string>;
}

/** Encodes an error reply. Falls back to dropping `details` when the codec cannot carry them. */
export function encodeError(codec: Codec, code: RpcCode, message: string, details: unknown): Buffer {
  return encodeErrorAs(codec, false, code, message, details);
}

/**
 * `encodeError` as an ERROR frame whose header is still to be written (see encodeRequestFramed),
 * with `extraBytes` free between header and payload (Codec.encodeFramed).
 */
export function encodeErrorFramed(codec: Codec, code: RpcCode, message: string, details: unknown, extraBytes = 0): Buffer {
  return encodeErrorAs(codec, true, code, message, details, extraBytes);
}

function encodeErrorAs(codec: Codec, framed: boolean, code: RpcCode, message: string, details: unknown, extraBytes = 0): Buffer {
  const n = rpcCodeToNumber(code);
  if (details === undefined) return framed ? codec.encodeFramed([n, message], extraBytes) : codec.encode([n, message]);
  try {
    return framed ? codec.encodeFramed([n, message, details], extraBytes) : codec.encode([n, message, details]);
  } catch {
    const m = [n, `${message} (details could not be encoded)`];
    return framed ? codec.encodeFramed(m, extraBytes) : codec.encode(m);
  }
}

/** Decodes an error reply (from `start`); a malformed one reads as INTERNAL with what was wrong. */
export function decodeError(codec: Codec, payload: Buffer, start = 0): ErrorMessage {
  let m: unknown;
  try {
    m = codec.decode(payload, start);
  } catch (err) {
    return { code: 'INTERNAL', message: `undecodable error reply: ${(err as Error).message}` };
  }
  if (!Array.isArray(m) || typeof m[0] !== 'number' || typeof m[1] !== 'string') {
    return { code: 'INTERNAL', message: 'malformed error reply' };
  }
  return m.length > 2 ? { code: rpcCodeFromNumber(m[0]), message: m[1], details: m[2] } : { code: rpcCodeFromNumber(m[0]), message: m[1] };
}
