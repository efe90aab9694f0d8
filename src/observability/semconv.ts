import type { CallContext } from '../call';
import { isRpcError, type RpcCode } from '../errors';

/*
 * The attribute names and values Rivet's spans, metrics and access log share. The `rpc.*`,
 * `server.*`, `network.*`, `client.*` and `tls.*` names follow the OpenTelemetry RPC semantic
 * conventions; `rpc.rivet.*` and `rivet.*` are Rivet's own, in the namespace the conventions
 * set aside for a system (as `rpc.grpc.status_code` is gRPC's).
 */

/** The instrumentation scope name of Rivet's tracer and meter. */
export const INSTRUMENTATION_SCOPE = 'rivet-rpc';

/** `rpc.system` of every Rivet span and metric. */
export const RPC_SYSTEM = 'rivet';

export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';
/** The call's RpcCode, or 'OK'. */
export const ATTR_RIVET_STATUS_CODE = 'rpc.rivet.status_code';
/** The attempt number (1, 2, ...) on an attempt span. */
export const ATTR_RIVET_ATTEMPT = 'rpc.rivet.attempt';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';
export const ATTR_TLS_CLIENT_SUBJECT = 'tls.client.subject';

// The metadata keys the resilience stages set on each attempt after the first. Kept as strings
// here (observability/ may not import resilience/); a unit test checks they still match
// RETRY_ATTEMPT_METADATA_KEY and the hedge stage's key.
export const ATTEMPT_METADATA_KEY = 'rivet-attempt';
export const HEDGE_METADATA_KEY = 'rivet-hedge';

/** The status a call ended with: 'OK', or the RpcCode of what it threw ('UNKNOWN' for anything else). */
export function statusOf(err: unknown): RpcCode | 'OK' {
  return isRpcError(err) ? err.code : 'UNKNOWN';
}

/** Which attempt of its call `ctx` is: 1 unless a retry or a hedge numbered it. */
export function attemptOf(ctx: CallContext): number {
  const md = ctx.metadata;
  const n = md[ATTEMPT_METADATA_KEY] ?? md[HEDGE_METADATA_KEY];
  return n === undefined ? 1 : Number(n) || 1;
}

/** Splits 'host:port' (IPv6 as '[::1]:port') without a regex; the port is undefined when absent. */
export function splitAddress(address: string): { host: string; port: number | undefined } {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return { host: address, port: undefined };
  const host = address.charCodeAt(0) === 91 /* [ */ ? address.slice(1, colon - 1) : address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return { host, port: Number.isInteger(port) && port > 0 ? port : undefined };
}

// The codes that mean the server failed (not the caller): on a SERVER span only these set the
// span status to ERROR, as the OpenTelemetry RPC conventions say for gRPC. On a CLIENT span every
// failure does.
const SERVER_FAULT_CODES: ReadonlySet<string> = new Set<RpcCode>(['UNKNOWN', 'DEADLINE_EXCEEDED', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS']);

/** True when a server span ending with `code` has status ERROR. */
export function isServerFault(code: string): boolean {
  return SERVER_FAULT_CODES.has(code);
}
