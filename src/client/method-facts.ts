/**
 * What a client learns of a method it calls by name, in one place. A typed proxy knows its
 * methods from the `@Service` class; a call by name (`client.invoke`, `client.proxy('Name')`)
 * starts knowing nothing, and learns each method's facts from a {@link MethodFactsSource}: today
 * the server's handshake (the methods a HELLO_ACK advertises), read by the attempt that reached
 * the server. A server that advertises nothing (`createApp({ advertiseMethods: false })`) leaves
 * the facts unknown: the second source, reflection-facts.ts, learns them from the server's
 * `rivet.Reflection` once a call was accepted, and is read through the same `learnFacts`.
 */

/** What a client knows of one method beyond its name. */
export interface MethodFacts {
  /** Safe to run twice: retries of failures that may have reached a handler, and hedging, are allowed. */
  readonly idempotent: boolean;
  /** The method's own timeout on the server, when it has one; it caps the call's deadline. */
  readonly timeoutMs?: number;
  /** Which side streams, on a streaming method (docs/streaming.md). */
  readonly stream?: 'server' | 'client' | 'bidi';
}

/** A place method facts come from: one endpoint's handshake (a channel) today. */
export interface MethodFactsSource {
  /** The facts of `service.method`, or undefined when this source does not know them. */
  methodFacts(service: string, method: string): MethodFacts | undefined;
}

/** What learning reads and writes of one call in flight. */
export interface LearningCall {
  readonly service: string;
  readonly method: string;
  idempotent: boolean;
  idempotentKnown: boolean;
  deadline: number | undefined;
  /** When the call started (epoch ms), set only while the method's timeout is unknown. */
  startedAtMs: number | undefined;
  /** What the call learnt, for its method caller to keep. */
  learnt: MethodFacts | undefined;
}

/**
 * After an attempt, learns from `source` what nothing else said: the method's idempotency (so a
 * retry of this very call may proceed), and its timeout, which then bounds the whole call as it
 * does a typed proxy's (the server caps each attempt at it; retrying past it would only time out
 * again). Costs one comparison on a call whose facts are known.
 */
export function learnFacts(call: LearningCall, source: MethodFactsSource): void {
  if (call.idempotentKnown && call.startedAtMs === undefined) return;
  const facts = source.methodFacts(call.service, call.method);
  if (facts === undefined) return;
  call.learnt = facts;
  if (!call.idempotentKnown) {
    call.idempotent = facts.idempotent;
    call.idempotentKnown = true;
  }
  if (call.startedAtMs !== undefined) {
    const capped = facts.timeoutMs === undefined ? undefined : call.startedAtMs + facts.timeoutMs;
    if (capped !== undefined && (call.deadline === undefined || capped < call.deadline)) call.deadline = capped;
    call.startedAtMs = undefined;
  }
}

/**
 * One method's facts as its caller knows them, from the class and policies, or learnt: later
 * calls start with what an earlier call learnt, as a typed proxy's do.
 */
export class KnownFacts {
  constructor(
    /** The method's timeout (the tightest of policy and what the server said). */
    public timeoutMs: number,
    public idempotent: boolean,
    /** Whether `idempotent` came from the class or a policy; if not, a source will say. */
    public idempotentKnown: boolean,
    /** False for a call by name until a call learns the method's facts. */
    public complete: boolean,
    /** Which side streams, on a streaming method; undefined for a unary one (or one not yet learnt). */
    public stream: 'server' | 'client' | 'bidi' | undefined = undefined,
    /** A stream's timeout: only one set on purpose (no default deadline for streams). */
    public streamTimeoutMs: number | undefined = undefined,
  ) {}

  /** Takes what a call learnt. */
  learn(facts: MethodFacts): void {
    if (!this.idempotentKnown) {
      this.idempotent = facts.idempotent;
      this.idempotentKnown = true;
    }
    if (facts.timeoutMs !== undefined && facts.timeoutMs < this.timeoutMs) this.timeoutMs = facts.timeoutMs;
    if (facts.timeoutMs !== undefined && (this.streamTimeoutMs === undefined || facts.timeoutMs < this.streamTimeoutMs)) this.streamTimeoutMs = facts.timeoutMs;
    if (facts.stream !== undefined) this.stream = facts.stream;
    this.complete = true;
  }
}
