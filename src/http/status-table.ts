import type { RpcCode } from '../errors';

/**
 * The HTTP status of each RpcCode, as the Connect protocol maps them. Not 408 for
 * DEADLINE_EXCEEDED: proxies and browsers retry 408 on their own, which must not happen to a call
 * that may have run (Connect's RFC 003 dropped it for that reason). Never renumber: clients key
 * their handling on these.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<RpcCode, number>> = Object.freeze({
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
});

/** The HTTP status an error with `code` answers with; 500 for a code this table does not know. */
export function httpStatusOf(code: string): number {
  return (HTTP_STATUS_BY_CODE as Record<string, number | undefined>)[code] ?? 500;
}
