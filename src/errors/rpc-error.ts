import { isRpcCode, type RpcCode } from './rpc-code';

// A Symbol.for brand, so isRpcError() holds across two installed copies of rivet-rpc
// (undici does the same); instanceof does not.
const RPC_ERROR_BRAND = Symbol.for('rivet-rpc.RpcError');

/** One attempt of a client call, as recorded in {@link RpcError.attempts}. */
export interface AttemptRecord {
  /** `host:port` of the endpoint tried, or `''` when no endpoint was picked. */
  endpoint: string;
  code: RpcCode;
  /** How long the attempt took, in milliseconds. */
  ms: number;
}

/** Why a client stopped trying (filled by the resilience stages). */
export type StoppedBy =
  | 'maxAttempts'
  | 'deadline'
  | 'budget'
  | 'notRetryable'
  | 'notIdempotent'
  | 'breaker'
  | 'bulkhead'
  | 'overloaded';

/**
 * The one error type of Rivet. The variety lives in `code`, in `details` (for errors Rivet
 * raises itself, `details.reason` is an {@link ErrorReason}) and in `cause`, never in subclasses.
 * A handler throws it to send a status; a caller receives it with the same `code`, `message`
 * and `details`.
 */
export class RpcError extends Error {
  /** The status code. */
  readonly code: RpcCode;
  /** Structured details; exactly what the thrower passed (the server's, on the client). */
  readonly details?: unknown;
  /**
   * True when the call provably never reached a handler (connect refused, lost before it was
   * written, or refused by a draining server). Such a call is safe to send elsewhere.
   */
  notProcessed: boolean;
  /** Every attempt the client made, when it came back through a client. */
  attempts?: AttemptRecord[];
  /** Why the client stopped retrying, when it did. */
  stoppedBy?: StoppedBy;

  constructor(code: RpcCode, message: string, details?: unknown, options?: { cause?: unknown; notProcessed?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (!isRpcCode(code)) throw new TypeError(`RpcError: unknown code ${String(code)}`);
    this.name = 'RpcError';
    this.code = code;
    if (details !== undefined) this.details = details;
    this.notProcessed = options?.notProcessed ?? false;
  }

  /** @internal brand read by {@link isRpcError}. */
  get [RPC_ERROR_BRAND](): true {
    return true;
  }
}

/** True for an RpcError, even one from another installed copy of rivet-rpc. */
export function isRpcError(value: unknown): value is RpcError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RPC_ERROR_BRAND] === true;
}

/** The `details.reason` of an error Rivet raised, or undefined. */
export function reasonOf(err: unknown): string | undefined {
  if (!isRpcError(err)) return undefined;
  const d = err.details as { reason?: unknown } | undefined;
  return typeof d === 'object' && d !== null && typeof d.reason === 'string' ? d.reason : undefined;
}

/**
 * Turns anything a handler or stage threw into an RpcError: RpcErrors pass through, anything
 * else becomes `UNKNOWN` with its message (and the original as `cause`).
 */
export function toRpcError(err: unknown): RpcError {
  if (isRpcError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RpcError('UNKNOWN', message, undefined, { cause: err });
}
