import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { DEFAULT_DEADLINE_MS } from '../call';
import { ErrorReason, isRpcError, reasonOf, RpcError } from '../errors';
import type { Peer } from '../call';
import { JsonCodec } from '../protocol';
import type { InProcessCall } from '../server';
import { certificateIdentity } from '../transport';
import { readBody } from './read-body';
import { metadataFromHeaders, timeoutFromHeaders } from './request-metadata';
import { type HeaderMap, sendError, sendJson } from './respond';
import { httpStatusOf } from './status-table';

/** What the gateway calls into: the app's server, behind the allowlist. */
export interface GatewayTarget {
  /** True when `service.method` is a `@Method` the gateway may call (allowlisted, never `rivet.*`). */
  exposes(service: string, method: string): boolean;
  /** Runs the call through the server's whole chain, in this process. */
  call(call: InProcessCall): Promise<unknown>;
}

/** How the gateway reads requests. */
export interface GatewaySettings {
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
  readonly logger: Logger;
}

/** The path prefix of gateway calls: `POST /rpc/{Service}/{method}`. */
export const GATEWAY_PREFIX = '/rpc/';

/**
 * The JSON gateway: `POST /rpc/{Service}/{method}` with a JSON array of positional arguments.
 *
 * The steps, in order, and why:
 * 1. Method (405): the cheapest check, and it says nothing about which services exist.
 * 2. Route (404 UNIMPLEMENTED): before the body is read, so an unknown or hidden method costs no
 *    upload and never runs anything.
 * 3. Content type (415) and `Rivet-Timeout-Ms` (400): header checks, still before the body.
 * 4. Body (413, 408): bounded in size and in time, so a slow or huge upload cannot hold a slot.
 * 5. JSON, an array (400 INVALID_ARGUMENT).
 * 6. The call, in-process through the server's chain: interceptors, auth, limits, deadline,
 *    telemetry run exactly as for a binary call.
 */
export class Gateway {
  constructor(
    private readonly target: GatewayTarget,
    private readonly settings: GatewaySettings,
  ) {}

  /** Answers one request whose path starts with {@link GATEWAY_PREFIX}; `path` has no query string. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'POST') {
      sendError(res, 405, 'UNIMPLEMENTED', `${req.method ?? 'this method'} is not allowed: call methods with POST and a JSON array of arguments`, {}, { allow: 'POST' });
      return;
    }
    const route = parseRoute(path);
    if (route === undefined || !this.target.exposes(route.service, route.method)) {
      const name = route === undefined ? path.slice(GATEWAY_PREFIX.length) : `${route.service}.${route.method}`;
      sendError(res, 404, 'UNIMPLEMENTED', `${name} is not a method this server exposes over HTTP (POST /rpc/{Service}/{method})`, { reason: ErrorReason.UNKNOWN_METHOD });
      return;
    }
    if (!isJson(req.headers['content-type'])) {
      sendError(res, 415, 'INVALID_ARGUMENT', `content type must be application/json, got ${JSON.stringify(req.headers['content-type'] ?? '')}`, { reason: ErrorReason.BAD_REQUEST });
      return;
    }
    let timeoutMs: number;
    try {
      timeoutMs = timeoutFromHeaders(req.headers, DEFAULT_DEADLINE_MS);
    } catch (err) {
      this.sendRpcError(res, err as RpcError);
      return;
    }
    const read = await readBody(req, this.settings.maxBodyBytes, this.settings.bodyTimeoutMs);
    if (read.kind === 'gone') return;
    if (read.kind === 'tooLarge') {
      // Connection: close, so what the client still sends is never read as the next request.
      sendError(res, 413, 'RESOURCE_EXHAUSTED', `request body exceeds the limit of ${this.settings.maxBodyBytes} bytes`, { reason: ErrorReason.FRAME_TOO_LARGE }, { connection: 'close' });
      return;
    }
    if (read.kind === 'timeout') {
      sendError(res, 408, 'DEADLINE_EXCEEDED', `request body did not arrive within ${this.settings.bodyTimeoutMs} ms`, { reason: ErrorReason.BAD_REQUEST }, { connection: 'close' });
      return;
    }
    const args = parseArgs(read.body);
    if (!Array.isArray(args)) {
      sendError(res, 400, 'INVALID_ARGUMENT', args.message, { reason: ErrorReason.BAD_REQUEST });
      return;
    }
    const aborter = new AbortController();
    // The client went away before the answer: cancel the call, as a binary client's cancel would.
    const onClose = (): void => {
      if (!res.writableFinished) aborter.abort();
    };
    res.on('close', onClose);
    const socket = req.socket;
    const call: InProcessCall = {
      service: route.service,
      method: route.method,
      args,
      metadata: metadataFromHeaders(req.headers),
      timeoutMs,
      peer: peerOf(socket),
      signal: aborter.signal,
    };
    try {
      const value = await this.target.call(call);
      let body: string;
      try {
        body = JSON.stringify(value === undefined ? null : value) ?? 'null';
      } catch (err) {
        this.settings.logger.warn({ method: `${route.service}.${route.method}`, err: (err as Error).message }, 'gateway reply could not be encoded as JSON');
        sendError(res, 500, 'INTERNAL', 'the result could not be encoded as JSON', { reason: ErrorReason.ENCODE_FAILED });
        return;
      }
      sendJson(res, 200, body);
    } catch (err) {
      if (reasonOf(err) === ErrorReason.DROP_CONNECTION) {
        // Fault injection ('rivet-rpc/testing'): the connection dies under the call, with no reply.
        socket.destroy();
        return;
      }
      if (isRpcError(err)) {
        if (reasonOf(err) === ErrorReason.STREAMS_UNSUPPORTED) {
          // Said in the HTTP caller's terms: the dispatcher's message speaks of in-process calls.
          const m = `${route.service}.${route.method} is a streaming method; streaming over HTTP is not supported yet: call it with a Rivet client`;
          sendError(res, 501, 'UNIMPLEMENTED', m, err.details);
        } else {
          this.sendRpcError(res, err);
        }
      } else {
        // Not an RpcError: a handler's own bug. Its message and stack stay in the server's log.
        this.settings.logger.warn({ method: `${route.service}.${route.method}`, err }, 'handler threw over HTTP');
        sendError(res, 500, 'INTERNAL', 'internal error');
      }
    } finally {
      res.off('close', onClose);
    }
  }

  private sendRpcError(res: ServerResponse, err: RpcError): void {
    const headers: HeaderMap = {};
    const retryAfterMs = (err.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    if (err.code === 'RESOURCE_EXHAUSTED' && typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
      headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    }
    sendError(res, httpStatusOf(err.code), err.code, err.message, err.details, headers);
  }
}

/**
 * The HTTP client as the chain's `ctx.peer`: its address, `protocol: 'http'`, and over HTTPS with
 * client certificates the verified identity, as a binary mTLS call has it (so `@Authorize` checks
 * on `peer.identity` hold over HTTP too).
 */
function peerOf(socket: IncomingMessage['socket']): Peer {
  const peer: Peer = { address: `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`, protocol: 'http' };
  if ((socket as TLSSocket).encrypted === true) {
    const identity = certificateIdentity(socket as TLSSocket);
    if (identity !== undefined) peer.identity = identity;
  }
  return peer;
}

/** `{Service}/{method}` from a gateway path; a service name may hold dots but not slashes. */
function parseRoute(path: string): { service: string; method: string } | undefined {
  const rest = path.slice(GATEWAY_PREFIX.length);
  const slash = rest.lastIndexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  try {
    return { service: decodeURIComponent(rest.slice(0, slash)), method: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return undefined;
  }
}

/** True for `application/json`, with or without parameters such as `charset=utf-8`. */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

// The binary protocol's JSON codec: it drops `__proto__` keys, so a gateway body can do no more
// to a handler's objects than a binary call can.
const json = new JsonCodec();

/** The positional arguments, or what was wrong with the body. */
function parseArgs(body: Buffer): unknown[] | { message: string } {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? undefined : json.decode(body);
  } catch (err) {
    return { message: `request body is not valid JSON (${(err as Error).message}); send a JSON array of the method's arguments, e.g. [7, 8] or []` };
  }
  if (!Array.isArray(parsed)) {
    return { message: `request body must be a JSON array of the method's positional arguments (e.g. [7, 8], or [] for none), got ${parsed === undefined ? 'an empty body' : parsed === null ? 'null' : typeof parsed === 'object' ? 'an object' : typeof parsed}` };
  }
  return parsed;
}
