import type { CallContext, Peer } from '../call';
import { ErrorReason, RpcError, type AttemptRecord } from '../errors';

/**
 * The client's CallContext: the public fields plus what the client stages share for one call.
 * A class, so every call's context has the same shape; it is its own abort listener
 * (`handleEvent`), so linking a caller's or parent's signal allocates no closure.
 */
export class ClientCall implements CallContext {
  readonly side = 'client' as const;
  signal: AbortSignal;
  peer: Peer | undefined = undefined;
  principal: unknown = undefined;
  /** Aborted by the deadline stage, the caller's signal, or the parent call's signal. */
  readonly controller: AbortController;
  /** Endpoints that failed this call, so a retry goes elsewhere when it can. */
  failedEndpoints: string[] | null = null;
  /** One record per attempt. */
  attempts: AttemptRecord[] = [];
  /** Set by the method's facts: safe to run twice. */
  idempotent: boolean;

  constructor(
    readonly service: string,
    readonly method: string,
    public args: unknown[],
    public metadata: Record<string, string>,
    public deadline: number | undefined,
    idempotent: boolean,
  ) {
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    this.idempotent = idempotent;
  }

  /** A linked signal (the caller's or the parent call's) aborted: cancel this call. */
  handleEvent(): void {
    if (!this.controller.signal.aborted) {
      this.controller.abort(new RpcError('CANCELLED', 'call cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER }));
    }
  }
}
