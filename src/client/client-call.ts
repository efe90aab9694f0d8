import type { CallContext, Peer } from '../call';
import { ErrorReason, RpcError, type AttemptRecord } from '../errors';
import type { Channel } from './channel';
import type { Endpoint } from './endpoint';

const ONCE = { once: true } as const;

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
  /** Aborted by the deadline stage, the caller's signal, the parent call's signal, or a hedge that lost. */
  readonly controller: AbortController;
  /** Endpoints that failed this call, so a retry goes elsewhere when it can. Shared with hedged attempts. */
  failedEndpoints: string[] | null = null;
  /** One record per failed attempt. Shared with hedged attempts. */
  attempts: AttemptRecord[] = [];
  /** The endpoint the router picked for the attempt in flight. */
  endpoint: Endpoint | null = null;
  /** False for calls made while handling a retried call: no retry storms across hops. */
  retriesAllowed = true;

  constructor(
    readonly service: string,
    readonly method: string,
    public args: unknown[],
    public metadata: Record<string, string>,
    public deadline: number | undefined,
    /** Safe to run twice. */
    public idempotent: boolean,
    /** Whether `idempotent` came from the class or a policy; if not, the server's handshake says. */
    public idempotentKnown: boolean,
  ) {
    this.controller = new AbortController();
    this.signal = this.controller.signal;
  }

  /** A linked signal (the caller's, the parent call's, or a hedge parent's) aborted: cancel this call. */
  handleEvent(): void {
    if (!this.controller.signal.aborted) {
      this.controller.abort(new RpcError('CANCELLED', 'call cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER }));
    }
  }

  /** After an attempt, learns the method's idempotency from the server's handshake when nothing else said it. */
  learnFacts(channel: Channel): void {
    if (this.idempotentKnown) return;
    const facts = channel.services[this.service]?.methods[this.method];
    if (facts !== undefined) {
      this.idempotent = facts.idempotent;
      this.idempotentKnown = true;
    }
  }

  /**
   * A hedged attempt of this call: its own signal (so a losing attempt can be cancelled alone),
   * linked to this call's; the attempt log and failed endpoints are shared.
   */
  fork(): ClientCall {
    const child = new ClientCall(this.service, this.method, this.args, { ...this.metadata }, this.deadline, this.idempotent, this.idempotentKnown);
    child.failedEndpoints = this.failedEndpoints ??= [];
    child.attempts = this.attempts;
    child.retriesAllowed = this.retriesAllowed;
    if (this.signal.aborted) child.handleEvent();
    else this.signal.addEventListener('abort', child, ONCE);
    return child;
  }

  /** Unlinks a finished fork from this call's signal. */
  release(child: ClientCall): void {
    this.signal.removeEventListener('abort', child);
  }
}
