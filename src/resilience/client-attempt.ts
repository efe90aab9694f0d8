import type { CallContext } from '../call';
import type { AttemptRecord, RpcError } from '../errors';
import type { ResolvedRetryPolicy } from './retry-policy';

/**
 * What the retry stage reads of a call. Every field is optional, so a plain `CallContext` (a
 * server-side or test chain) passes as one: retry then uses the stage's own options.
 */
export interface RetryableCall extends CallContext {
  /** Safe to run twice; read after each failure (a call by name learns it from the server). */
  readonly idempotent?: boolean;
  /** False for calls made while handling a retried call: no retry storms across hops. */
  readonly retriesAllowed?: boolean;
  /** This call's own retry policy (the most specific layer), when it set one. */
  readonly retryPolicy?: ResolvedRetryPolicy;
}

/**
 * One client call as the resilience stages (retry, hedge) and the router see it: its idempotency
 * and retry policy, its abort (reason, and the attempt told when it aborts), the record of its
 * attempts, and `fork()` for a hedged attempt. `Self` is the implementing type, so a stage typed
 * over `C extends ClientAttempt<C>` hands `next` a fork of the very type it was given.
 */
export interface ClientAttempt<Self extends ClientAttempt<Self>> extends RetryableCall {
  idempotent: boolean;
  retriesAllowed: boolean;
  retryPolicy: ResolvedRetryPolicy | undefined;
  /** Why the call was aborted (deadline, caller, lost hedge); undefined while it is not. */
  readonly abortReason: RpcError | undefined;
  /** True once aborted. */
  readonly aborted: boolean;
  /** Aborts the call (once): the attempt in flight is cancelled, forks too, and `signal` fires. */
  abort(reason: RpcError): void;
  /** One record per failed attempt. Shared with forks. */
  attempts: AttemptRecord[] | null;
  /** Records a failed attempt. */
  recordAttempt(record: AttemptRecord): void;
  /** Addresses that failed this call (or that forks still work on), so the next attempt goes elsewhere. Shared with forks. */
  failedEndpoints: string[] | null;
  /** The endpoint the router picked for the attempt in flight. */
  readonly endpoint: { readonly address: string } | null;
  /** A hedged attempt: its own abort, aborted with this call; attempts and failed endpoints shared. */
  fork(): Self;
  /** Unlinks a finished fork. */
  release(child: Self): void;
}
