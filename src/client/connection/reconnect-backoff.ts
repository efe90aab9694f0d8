import { ErrorReason, RpcError } from '../../errors';
import { KEEPALIVE_TIMEOUT_REASON } from '../../transport';
import { jitteredBackoffMs } from '../../util';
import { notProcessed } from './connect-errors';

/** First reconnect delay after a failed connect: 100 ms, doubling up to RECONNECT_MAX_MS. */
export const RECONNECT_INITIAL_MS = 100;
/** The longest reconnect delay: 10 s. */
export const RECONNECT_MAX_MS = 10_000;

/**
 * One endpoint's reconnect backoff: after a failed connect (or a peer that stopped answering
 * pings) no connect before a capped, jittered, growing delay; and the failure that started it,
 * while that is still news, so a call refused meanwhile can name the cause.
 */
export class ReconnectBackoff {
  private failures = 0;
  private retryAt = 0;
  private last: RpcError | null = null;

  /** Failures in a row, for logs. */
  get failuresInRow(): number {
    return this.failures;
  }

  /** True while a connect must wait. */
  get active(): boolean {
    return this.retryAt > Date.now();
  }

  /** Milliseconds until a connect may start (0 when it may now). */
  get retryInMs(): number {
    const left = this.retryAt - Date.now();
    return left > 0 ? left : 0;
  }

  /**
   * Why the last connect (or handshake) failed, while that is still news: cleared once a
   * connection is up, as grpc's "last error".
   */
  get lastError(): RpcError | null {
    return this.last;
  }

  /** A connect failed (`why`, when worth reporting): the next waits longer. */
  failed(why: RpcError | null): void {
    this.retryAt = Date.now() + jitteredBackoffMs(this.failures, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS);
    this.failures++;
    if (why !== null) this.last = why;
  }

  /**
   * A connection to `address` was lost (`reason`, the transport's). One to a peer that stopped
   * answering pings (a frozen process, a dead host) counts as a failed connect: the endpoint
   * leaves the pick set for a reconnect backoff. Reconnecting at once would make the next call
   * wait out the connect timeout on a socket nobody reads. Any other loss reconnects at once.
   */
  lost(address: string, reason: string | undefined): void {
    if (reason !== undefined && reason.startsWith(KEEPALIVE_TIMEOUT_REASON)) {
      this.failed(notProcessed(`${address} stopped answering keepalive pings`, ErrorReason.CONNECTION_LOST));
    }
  }

  /** A connection is up: no wait, nothing to report. */
  succeeded(): void {
    this.failures = 0;
    this.retryAt = 0;
    this.last = null;
  }

  /**
   * The refusal of a call that found the endpoint backing off: it names the failure that put it
   * there (a TLS reason keeps its `details.tls`), so the caller sees the cause.
   */
  refusal(address: string): RpcError {
    const last = this.last;
    if (last === null) return notProcessed(`${address} failed recently; reconnecting after backoff`, ErrorReason.CONNECT_BACKOFF);
    const tls = (last.details as { tls?: unknown }).tls;
    const details = tls === undefined ? { reason: ErrorReason.CONNECT_BACKOFF, lastError: last.message } : { reason: ErrorReason.CONNECT_BACKOFF, tls, lastError: last.message };
    return new RpcError('UNAVAILABLE', `${address} is reconnecting after backoff; last error: ${last.message}`, details, { notProcessed: true, cause: last });
  }
}
