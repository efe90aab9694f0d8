/**
 * Why Rivet itself failed a call: a closed set, found in `RpcError.details.reason`
 * on errors that Rivet (not a handler) raised, so logs and tests can match on them.
 */
export const ErrorReason = {
  /** The connection carrying the call closed before its reply arrived. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** The client could not open a connection to the endpoint. */
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** The endpoint failed recently; the client waits out its reconnect backoff before trying it again. */
  CONNECT_BACKOFF: 'CONNECT_BACKOFF',
  /** The handshake was refused or malformed. */
  HANDSHAKE_FAILED: 'HANDSHAKE_FAILED',
  /** Neither the registry nor the static endpoints know an instance of the service. */
  NO_INSTANCES: 'NO_INSTANCES',
  /** Every known endpoint is draining or closed. */
  NO_READY_ENDPOINT: 'NO_READY_ENDPOINT',
  /** The server is shutting down and did not run the call. */
  SERVER_DRAINING: 'SERVER_DRAINING',
  /** The server shut down before the handler finished. */
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
  /** A frame is larger than the receiver's agreed limit. */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** The request payload could not be decoded. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The service or method is not exposed (not a `@Method`, or no such service). */
  UNKNOWN_METHOD: 'UNKNOWN_METHOD',
  /** The call's deadline passed. */
  DEADLINE: 'DEADLINE',
  /** The caller aborted the call. */
  CANCELLED_BY_CALLER: 'CANCELLED_BY_CALLER',
  /** The client was closed while the call was pending. */
  CLIENT_CLOSED: 'CLIENT_CLOSED',
  /** The circuit breaker of every endpoint is open. */
  BREAKER_OPEN: 'BREAKER_OPEN',
  /** A bulkhead had every slot busy and its queue full; the call was not run. */
  BULKHEAD_FULL: 'BULKHEAD_FULL',
  /** A rate limiter's bucket was empty; the call was not run. `details.retryAfterMs` says when to come back. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The TLS handshake failed; `details.tls` says why (expired, unknown-ca, hostname-mismatch, ...). */
  TLS: 'TLS',
  /** The connection already has the server's maximum of calls in flight; the call was not run. */
  TOO_MANY_IN_FLIGHT: 'TOO_MANY_IN_FLIGHT',
  /** A value could not be encoded by the codec. */
  ENCODE_FAILED: 'ENCODE_FAILED',
  /** Raised by the `faults` test interceptor ('rivet-rpc/testing'): an injected failure. */
  FAULT_INJECTED: 'FAULT_INJECTED',
  /**
   * Raised by the `faults` test interceptor: the server closes the connection the call came on and
   * sends no reply. Never reaches a client as a reason.
   */
  DROP_CONNECTION: 'DROP_CONNECTION',
  /** The connection already has the server's maximum of open streams; the stream was not opened. */
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
  /** A peer sent a stream message it had no credit for (flow control); only that stream fails. */
  STREAM_OVERRUN: 'STREAM_OVERRUN',
  /** No message moved on a stream, either way, for its `idleTimeoutMs`. */
  STREAM_IDLE: 'STREAM_IDLE',
  /** A streaming method was called on a peer (or through a path) that does not speak streams. */
  STREAMS_UNSUPPORTED: 'STREAMS_UNSUPPORTED',
  /**
   * The server is overloaded and shed the call before it started (`RESOURCE_EXHAUSTED`, not
   * processed). `details.retryAfterMs` says how long to stay away from that server; another
   * endpoint may take the call at once.
   */
  OVERLOADED: 'OVERLOADED',
  /**
   * The client's adaptive throttle (`ClientPolicy.throttle`) refused the attempt before sending it:
   * the endpoint has been shedding most calls. Not processed; another endpoint may take it.
   */
  THROTTLED: 'THROTTLED',
} as const;

/** One of the reasons in {@link ErrorReason}. */
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];
