import { type DeadlineCall, type DeadlineList, deadlineExceeded, type Peer, type Timed } from '../call';
import { ErrorReason, RpcError, type AttemptRecord } from '../errors';
import type { ClientAttempt, ResolvedRetryPolicy } from '../resilience';
import type { AbortWatcher, ChannelCall } from './connection/channel-call';
import { type LearningCall, learnFacts, type MethodFacts, type MethodFactsSource } from './method-facts';

/**
 * The client's CallContext, typed through the whole client chain: the public fields plus what the
 * client stages share for one call. It is each stage's view at once: the deadline stage's
 * (DeadlineCall), retry's and hedge's (ClientAttempt), the channel's (ChannelCall), learning's.
 * A class, so every call's context has the same shape; it is its own abort listener
 * (`handleEvent`), so linking a caller's or parent's signal allocates no closure.
 *
 * Abort is tracked here, not in an AbortController: making one per call cost more than the rest of
 * the client together. The controller (and so `signal`) is made only when something reads
 * `signal`; stages use `abort()`, `aborted` and `abortReason`.
 */
export class ClientCall implements DeadlineCall, ClientAttempt<ClientCall>, ChannelCall, LearningCall, Timed {
  readonly side = 'client' as const;
  peer: Peer | undefined = undefined;
  principal: unknown = undefined;
  /** Endpoints that failed this call, so a retry goes elsewhere when it can. Shared with hedged attempts. */
  failedEndpoints: string[] | null = null;
  /** One record per failed attempt, made on the first failure. Shared with hedged attempts. */
  attempts: AttemptRecord[] | null = null;
  /** The endpoint the router picked for the attempt in flight. */
  endpoint: { readonly address: string } | null = null;
  /** False for calls made while handling a retried call: no retry storms across hops. */
  retriesAllowed = true;
  /** Why the call was aborted (deadline, caller, lost hedge); undefined while it is not. */
  abortReason: RpcError | undefined = undefined;
  /** The attempt in flight, told when the call aborts so it can send a cancel frame and settle. */
  watcher: AbortWatcher | null = null;
  /**
   * When the call started (epoch ms), set only while the method's own timeout is unknown (a call
   * by name): the timeout the server advertises then caps the deadline from this start.
   */
  startedAtMs: number | undefined = undefined;
  /** This call's own retry policy (`CallOptions.retry` merged over the method's), if it set one. */
  retryPolicy: ResolvedRetryPolicy | undefined = undefined;
  /** What the server's handshake said about the method, once an attempt learnt it. */
  learnt: MethodFacts | undefined = undefined;
  /** The deadline timer's links (see DeadlineTimers): kept here so arming one allocates nothing. */
  expiresAt = 0;
  timerPrev: Timed | null = null;
  timerNext: Timed | null = null;
  timerList: DeadlineList | null = null;
  private controller: AbortController | null = null;
  private forks: ClientCall[] | null = null;

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
  ) {}

  /** Aborts when the deadline passes or the caller cancels. Made on first read. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** True once aborted. */
  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** Aborts the call (once): the attempt in flight is cancelled, hedged forks too, and `signal` fires. */
  abort(reason: RpcError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    const watcher = this.watcher;
    this.watcher = null;
    watcher?.onCallAborted();
    if (this.forks !== null) for (const f of this.forks) f.abort(reason);
    this.controller?.abort(reason);
  }

  /** The deadline passed: abort with DEADLINE_EXCEEDED. */
  expire(): void {
    this.abort(deadlineExceeded());
  }

  /** A linked signal (the caller's or the parent call's) aborted: cancel this call. */
  handleEvent(): void {
    this.abort(new RpcError('CANCELLED', 'call cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER }));
  }

  /** Records a failed attempt. */
  recordAttempt(record: AttemptRecord): void {
    (this.attempts ??= []).push(record);
  }

  /** After an attempt: learns the method's facts from `source` (see method-facts.ts). */
  learnFacts(source: MethodFactsSource): void {
    learnFacts(this, source);
  }

  /**
   * A hedged attempt of this call: its own abort (so a losing attempt can be cancelled alone),
   * aborted with this call; the attempt log and failed endpoints are shared.
   */
  fork(): ClientCall {
    const child = new ClientCall(this.service, this.method, this.args, { ...this.metadata }, this.deadline, this.idempotent, this.idempotentKnown);
    child.failedEndpoints = this.failedEndpoints ??= [];
    child.attempts = this.attempts ??= [];
    child.retriesAllowed = this.retriesAllowed;
    child.startedAtMs = this.startedAtMs;
    if (this.abortReason !== undefined) child.abort(this.abortReason);
    else (this.forks ??= []).push(child);
    return child;
  }

  /** Unlinks a finished fork. */
  release(child: ClientCall): void {
    if (this.forks === null) return;
    const i = this.forks.indexOf(child);
    if (i >= 0) this.forks.splice(i, 1);
  }
}
