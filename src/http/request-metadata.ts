import type { IncomingHttpHeaders } from 'node:http';
import { ErrorReason, RpcError } from '../errors';

/** The request header that sets a gateway call's deadline, in ms from now. */
export const TIMEOUT_HEADER = 'rivet-timeout-ms';

/** Request headers `Rivet-Meta-<key>: value` become call metadata `<key>` (lower-cased). */
export const META_HEADER_PREFIX = 'rivet-meta-';

// The only headers copied as they are: credentials for bearerAuth and W3C trace context. An
// allowlist, as grpc-gateway learned (grpc-gateway#1827): forwarding every header would let
// X-Forwarded-For, cookies or proxy headers pose as metadata an interceptor trusts.
const PASSED_HEADERS: readonly string[] = ['authorization', 'traceparent', 'tracestate', 'baggage'];

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The call metadata of a gateway request: `Authorization` as `authorization`, `traceparent`,
 * `tracestate` and `baggage` as they are, and each `Rivet-Meta-<key>` as `<key>`. Nothing else.
 * Node lower-cases header names, so keys come out lower-cased.
 */
export function metadataFromHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const v = headerValue(headers[name]);
    if (v !== undefined) metadata[name] = v;
  }
  for (const name of Object.keys(headers)) {
    if (name.length > META_HEADER_PREFIX.length && name.startsWith(META_HEADER_PREFIX)) {
      const v = headerValue(headers[name]);
      if (v !== undefined) metadata[name.slice(META_HEADER_PREFIX.length)] = v;
    }
  }
  return metadata;
}

/**
 * The caller's budget from `Rivet-Timeout-Ms`, or `defaultMs` when absent. Throws RpcError
 * INVALID_ARGUMENT for anything but a positive integer of at most 10 digits (Connect's rule for
 * `connect-timeout-ms`).
 */
export function timeoutFromHeaders(headers: IncomingHttpHeaders, defaultMs: number): number {
  const raw = headerValue(headers[TIMEOUT_HEADER]);
  if (raw === undefined) return defaultMs;
  const text = raw.trim();
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) === 0) {
    throw new RpcError('INVALID_ARGUMENT', `Rivet-Timeout-Ms must be a positive integer of milliseconds, got ${JSON.stringify(raw)}`, { reason: ErrorReason.BAD_REQUEST });
  }
  return Number(text);
}
