import type { CallContext, Middleware } from '../call';
import type { StreamKind } from '../protocol';

/** One remotely callable method, as the server needs it (no decorators, no container). */
export interface MethodDefinition {
  name: string;
  /** Runs the method with `ctx.args`. */
  handler: (ctx: CallContext) => unknown;
  /** The method's own deadline cap; the tighter of it and the caller's wins. */
  timeoutMs?: number;
  /** Safe to run twice; advertised to clients, which may then retry it after it was sent. */
  idempotent: boolean;
  /** Method-level stages, innermost of all. */
  middlewares: readonly Middleware[];
  /** Limits (rate limit, bulkhead) that run right inside the global stages, before any class stage. */
  guards?: readonly Middleware[];
  /**
   * Set on a streaming method. `server` and `bidi` handlers return an async iterable of messages;
   * `client` and `bidi` handlers get the incoming AsyncIterable as their first argument.
   */
  stream?: StreamKind;
}

/** One service: a name, its methods, and class-level stages. */
export interface ServiceDefinition {
  name: string;
  version?: string;
  /** Class-level stages, inside the global ones and outside the method's. */
  middlewares: readonly Middleware[];
  methods: readonly MethodDefinition[];
}
