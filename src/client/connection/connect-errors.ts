import { ErrorReason, RpcError } from '../../errors';
import { describeTlsError } from '../../transport';

/** An UNAVAILABLE refusal that reached no handler (`notProcessed`), so any attempt may retry it. */
export function notProcessed(message: string, reason: ErrorReason, cause?: unknown): RpcError {
  return new RpcError('UNAVAILABLE', message, { reason }, { notProcessed: true, cause });
}

/** A failed connect as an RpcError; a TLS failure says why in `details.tls` (expired, unknown-ca, ...). */
export function connectError(address: string, err: unknown): RpcError {
  const tls = describeTlsError(err);
  if (tls !== undefined) {
    // The transport's message already says "TLS handshake with <address> failed: <why>"; the
    // code (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ...) goes in it too, for logs and users.
    const text = (err as Error).message;
    const base = text.startsWith('TLS handshake') ? text : `TLS handshake with ${address} failed: ${text}`;
    const message = tls.tlsCode === undefined || base.includes(tls.tlsCode) ? base : `${base} (${tls.tlsCode})`;
    return new RpcError('UNAVAILABLE', message, { reason: ErrorReason.TLS, tls }, { notProcessed: true, cause: err });
  }
  const code = (err as NodeJS.ErrnoException).code;
  return notProcessed(`cannot connect to ${address}: ${code ?? (err as Error).message}`, ErrorReason.CONNECT_FAILED, err);
}

/** The abort reason of a signal or a call, as an RpcError (CANCELLED when it is not one). */
export function asRpcError(reason: unknown): RpcError {
  return reason instanceof RpcError ? reason : new RpcError('CANCELLED', 'call cancelled', { reason: ErrorReason.CANCELLED_BY_CALLER });
}

const ABORT_LISTENER_OPTIONS = { once: true } as const;

/** Waits for `p`, or rejects when `signal` aborts first (with `onAbort()` or the signal's reason). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal, onAbort?: () => RpcError): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort ? onAbort() : asRpcError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const listener = () => reject(onAbort ? onAbort() : asRpcError(signal.reason));
    signal.addEventListener('abort', listener, ABORT_LISTENER_OPTIONS);
    p.then(
      (v) => {
        signal.removeEventListener('abort', listener);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(err);
      },
    );
  });
}
