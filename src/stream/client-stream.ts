import { ErrorReason, RpcError } from '../errors';
import type { StreamKind } from '../protocol';
import { toAsyncIterator } from './iterables';
import { pump, type PumpSink } from './pump';
import { ReceiveWindow } from './receive-window';
import { SendCredit } from './send-credit';
import { StreamReceiver } from './stream-receiver';
import type { ResolvedStreamWindow } from './stream-window';
import type { TurnBudget } from './turn-budget';

/** What a client stream may do to the call that carries it. */
export interface StreamCallControl {
  /** Ends the whole call with `reason`: the attempt in flight is cancelled and the call rejects. */
  abort(reason: RpcError): void;
  /** The stream committed (a message arrived, or input was taken): it may no longer be retried. */
  commit(): void;
}

/** What a connection gives one attempt of a client stream: frames on the attempt's id. */
export interface StreamWire {
  /** Encodes and sends one input message; returns its payload size. Throws an RpcError when it cannot. */
  sendData(value: unknown): number;
  /** Sends STREAM_END: the input is done. */
  sendEnd(): void;
  /** Sends STREAM_CREDIT for the server's messages. */
  sendCredit(messages: number, bytes: number, promptly: boolean): void;
  /** The connection's fairness budget (TurnBudget). */
  readonly budget: TurnBudget;
}

const ATTEMPT_OVER = new RpcError('CANCELLED', 'stream attempt over');

/**
 * The client's side of one streaming call, across its attempts: the receiver its caller iterates
 * (server and bidi streams), its input (client and bidi streams), the commit point after which it
 * is never retried, and its idle timer.
 *
 * The call's outcome reaches the caller through `settle`, from the call's chain: a stream ends
 * once, with the chain. Messages reach the receiver straight from the connection, so every
 * message that arrived before an error is delivered before it.
 */
export class ClientStreamState {
  /** What the caller iterates; null for a client stream (its outcome is the call's value). */
  readonly receiver: StreamReceiver | null;
  private input: AsyncIterator<unknown> | null;
  private attempt: ClientStreamAttempt | null = null;
  private committed = false;
  private settled = false;
  private inputOpen: boolean;
  private idleTimer: NodeJS.Timeout | undefined = undefined;
  private lastActivityMs = 0;

  /**
   * Throws INVALID_ARGUMENT when a client or bidi stream's `input` is neither an AsyncIterable
   * nor an Iterable.
   */
  constructor(
    public kind: StreamKind,
    private readonly window: ResolvedStreamWindow,
    input: unknown,
    private readonly idleTimeoutMs: number | undefined,
    private readonly control: StreamCallControl,
  ) {
    if (kind === 'server') {
      this.input = null;
    } else {
      const it = toAsyncIterator(input);
      if (it === undefined) throw new RpcError('INVALID_ARGUMENT', `a ${kind} stream takes an AsyncIterable or an Iterable as its first argument`, undefined, { notProcessed: true });
      this.input = it;
    }
    this.inputOpen = this.input !== null;
    this.receiver =
      kind === 'client'
        ? null
        : new StreamReceiver(new ReceiveWindow(window), {
            grant: (messages, bytes, promptly) => this.attempt?.grant(messages, bytes, promptly),
            cancel: () => control.abort(new RpcError('CANCELLED', 'stream cancelled by the caller', { reason: ErrorReason.CANCELLED_BY_CALLER })),
            activity: idleTimeoutMs === undefined ? undefined : () => this.touch(),
          });
    if (idleTimeoutMs !== undefined) {
      this.lastActivityMs = Date.now();
      this.idleTimer = setTimeout(() => this.checkIdle(), idleTimeoutMs);
    }
  }

  /**
   * Takes the server's word for the method's kind, when a call by name guessed: a server stream
   * and a bidi stream read the same, only the first argument becomes (or stops being) the input.
   * False when the kinds cannot be swapped (a client stream for a server stream), or too late.
   */
  retarget(kind: StreamKind, firstArg: unknown): boolean {
    if (kind === this.kind) return true;
    if (kind === 'client' || this.kind === 'client' || this.committed || this.attempt !== null) return false;
    if (kind === 'server') {
      this.input = null;
    } else {
      const it = toAsyncIterator(firstArg);
      if (it === undefined) return false;
      this.input = it;
    }
    this.inputOpen = this.input !== null;
    this.kind = kind;
    return true;
  }

  /** True once the stream may no longer be retried. */
  get isCommitted(): boolean {
    return this.committed;
  }

  /**
   * Starts an attempt on a connection: grants the window for the server's messages at once. The
   * connection routes the attempt's STREAM_DATA, STREAM_END and STREAM_CREDIT frames to it.
   */
  beginAttempt(wire: StreamWire): ClientStreamAttempt {
    this.attempt?.close();
    const attempt = new ClientStreamAttempt(this, wire);
    this.attempt = attempt;
    if (this.receiver !== null) {
      const w = new ReceiveWindow(this.window);
      this.receiver.resetWindow(w);
      const g = w.open();
      wire.sendCredit(g.messages, g.bytes, false);
    }
    return attempt;
  }

  /**
   * The call's chain settled: the caller's iteration ends (after what is buffered) or fails with
   * `err`; input not yet taken is closed (`return()`), so a producer never hangs.
   */
  settle(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.attempt?.close();
    this.attempt = null;
    if (this.receiver !== null) {
      if (err === undefined) this.receiver.end();
      else this.receiver.fail(err);
    }
    this.closeInput();
  }

  /** @internal a message arrived, or input was taken. */
  commit(): void {
    if (this.committed) return;
    this.committed = true;
    this.control.commit();
  }

  /** @internal the attempt's input pump needs the input iterator; undefined when there is none or it was closed. */
  get inputIterator(): AsyncIterator<unknown> | null {
    return this.inputOpen ? this.input : null;
  }

  /** @internal the input is done (or failed): the attempt stops pulling from it. */
  inputFinished(): void {
    this.inputOpen = false;
  }

  /** @internal the input iterable threw: the call is cancelled, with the error as its cause. */
  inputFailed(err: unknown): void {
    this.inputOpen = false;
    const message = err instanceof Error ? err.message : String(err);
    this.control.abort(new RpcError('CANCELLED', `the stream's input failed: ${message}`, { reason: ErrorReason.CANCELLED_BY_CALLER }, { cause: err }));
  }

  /** @internal an input message could not be sent (encoding, size): the call fails with that error. */
  sendFailed(err: RpcError): void {
    this.control.abort(err);
  }

  /** @internal something moved. */
  touch(): void {
    this.lastActivityMs = Date.now();
  }

  private closeInput(): void {
    const input = this.input;
    if (input === null) return;
    const wasOpen = this.inputOpen;
    this.inputOpen = false;
    if (!wasOpen || typeof input.return !== 'function') return;
    // A `finally` of the caller's generator that throws has nobody to tell: the call is over.
    Promise.resolve()
      .then(() => input.return?.())
      .catch(() => undefined);
  }

  private checkIdle(): void {
    const idle = this.idleTimeoutMs as number;
    const quietMs = Date.now() - this.lastActivityMs;
    if (quietMs < idle) {
      this.idleTimer = setTimeout(() => this.checkIdle(), idle - quietMs);
      return;
    }
    this.idleTimer = undefined;
    this.control.abort(new RpcError('DEADLINE_EXCEEDED', `no stream message moved for ${idle} ms`, { reason: ErrorReason.STREAM_IDLE }));
  }
}

/**
 * One attempt of a client stream on one connection: the server's credit for the input, and the
 * pump that takes input only while that credit lasts. Input is first taken when the server's
 * first credit arrives, which it sends once the handler runs: a stream refused at its start has
 * taken nothing, and may be retried.
 */
export class ClientStreamAttempt implements PumpSink {
  readonly credit = new SendCredit();
  closedWith: unknown = undefined;
  private pumping = false;

  constructor(
    private readonly state: ClientStreamState,
    private readonly wire: StreamWire,
  ) {}

  /** A STREAM_DATA arrived (decoded). False when it overran the window: fail the call with STREAM_OVERRUN. */
  onData(value: unknown, size: number): boolean {
    const receiver = this.state.receiver;
    if (receiver === null) return false;
    this.state.commit();
    return receiver.push(value, size);
  }

  /** A STREAM_CREDIT arrived: more input may go; the first one starts the input pump. */
  onCredit(messages: number, bytes: number): void {
    this.credit.add(messages, bytes);
    if (this.pumping || this.closedWith !== undefined) return;
    const input = this.state.inputIterator;
    if (input === null) return;
    this.pumping = true;
    void this.pumpInput(input);
  }

  /** Sends a grant for the server's messages (the receiver's batched grants). */
  grant(messages: number, bytes: number, promptly: boolean): void {
    if (this.closedWith === undefined) this.wire.sendCredit(messages, bytes, promptly);
  }

  /** PumpSink: sends one input message. */
  send(value: unknown): number {
    const size = this.wire.sendData(value);
    this.state.touch();
    return size;
  }

  /** The attempt is over (its terminal frame arrived, it failed, or the call settled): the pump stops. */
  close(): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = ATTEMPT_OVER;
    this.credit.close();
  }

  private async pumpInput(input: AsyncIterator<unknown>): Promise<void> {
    const state = this.state;
    let inputThrew = false;
    // Taking the first input message commits the stream: it cannot be replayed to another attempt.
    const committing: AsyncIterator<unknown> = {
      next: () => {
        state.commit();
        return input.next().then(undefined, (err: unknown) => {
          inputThrew = true;
          throw err;
        });
      },
    };
    try {
      await pump(committing, this.credit, this.wire.budget, this);
    } catch (err) {
      if (this.closedWith !== undefined) return;
      if (inputThrew) state.inputFailed(err);
      else state.sendFailed(err instanceof RpcError ? err : new RpcError('INTERNAL', String(err)));
      return;
    }
    if (this.closedWith !== undefined) return;
    state.inputFinished();
    this.wire.sendEnd();
  }
}
