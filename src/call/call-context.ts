/** The verified identity of a TLS client certificate (filled with mTLS). */
export interface PeerIdentity {
  subject: string;
  san: string[];
  fingerprint256: string;
}

/** The other side of a call: on the server the client, on the client the endpoint picked. */
export interface Peer {
  /** `'host:port'`. */
  address: string;
  identity?: PeerIdentity;
  /** `'http'` for a call that came through the HTTP gateway; absent for binary calls. */
  protocol?: 'http';
}

/**
 * Everything one call carries through the interceptor chain, on the client (`side: 'client'`)
 * and on the server (`side: 'server'`). Interceptors may read and change `metadata` and `args`.
 */
export interface CallContext {
  readonly side: 'client' | 'server';
  readonly service: string;
  readonly method: string;
  /** Positional arguments. */
  args: unknown[];
  /** String key/values that travel with the call, client to server. */
  metadata: Record<string, string>;
  /** Absolute deadline in epoch milliseconds of this process's clock. */
  deadline?: number;
  /** Aborts when the deadline passes or the caller cancels. */
  signal: AbortSignal;
  /** The other side, once known. */
  peer?: Peer;
  /** Who the caller is, set by an authentication interceptor. */
  principal?: unknown;
}

/**
 * Builds a CallContext with every field set in one order, so V8 keeps one object shape for all
 * contexts on the hot path.
 */
export function createCallContext(
  side: 'client' | 'server',
  service: string,
  method: string,
  args: unknown[],
  metadata: Record<string, string>,
  deadline: number | undefined,
  signal: AbortSignal,
  peer: Peer | undefined,
): CallContext {
  return { side, service, method, args, metadata, deadline, signal, peer, principal: undefined };
}
