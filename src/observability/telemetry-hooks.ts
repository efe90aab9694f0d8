import type { Logger } from 'pino';

/*
 * What an observability interceptor needs from the app or client it is given to, beyond calls:
 * a logger (accessLog), breaker changes and the count of open connections (metrics). app/ looks
 * for these hooks on its global interceptors and feeds them; nothing else calls them. A symbol
 * key, so they cannot clash with a user's own interceptor members.
 */

/** The key of an interceptor's {@link TelemetryHooks}. Symbol.for, so two installed copies agree. */
export const TELEMETRY_HOOKS = Symbol.for('rivet-rpc.telemetryHooks');

/** A circuit breaker of one (endpoint, service) changed state (the Client's 'breaker' event). */
export interface BreakerChange {
  /** `'host:port'`. */
  readonly endpoint: string;
  readonly service: string;
  readonly state: string;
}

/** Open connections of one server, read when metrics are collected. */
export interface ConnectionSource {
  /** Connections open now. */
  count(): number;
  /** The port the server listens on, once it does. */
  port(): number | undefined;
}

/** A call the server's admission refused before it started (it never reaches the interceptors). */
export interface ShedNotice {
  readonly service: string;
  readonly method: string;
  /** Why: 'DEADLINE', 'QUEUE_FULL' or 'QUEUE_TIMEOUT' (the `rivet.shed.reason` attribute). */
  readonly reason: string;
  /** The code the caller got: 'RESOURCE_EXHAUSTED' (overloaded) or 'DEADLINE_EXCEEDED'. */
  readonly code: string;
  /** How long it had waited since its bytes arrived, in ms. */
  readonly waitedMs: number;
  readonly peer: string;
}

/** A server's admission state, read when metrics are collected (app.load()). */
export interface AdmissionSource {
  load(): { concurrency: number; limit: number; queued: number; shedPerSecond: number; eventLoopUtilization: number };
  /** Recent queue wait, in ms. */
  queueDelayMs(): number;
  /** The port the server listens on, once it does. */
  port(): number | undefined;
}

/** Hooks an app or client calls on the global interceptors that have them. Each is optional. */
export interface TelemetryHooks {
  /** The app's or client's logger, given once at creation; ignored when the interceptor was given its own. */
  useLogger?(logger: Logger): void;
  /** Every state change of the client's circuit breakers. */
  breakerChanged?(change: BreakerChange): void;
  /** An endpoint left a service's set: forget what is kept per (service, endpoint). */
  endpointRemoved?(endpoint: { readonly endpoint: string; readonly service: string }): void;
  /** A server whose open connections to report; returns a function that stops reporting them. */
  observeConnections?(source: ConnectionSource): () => void;
  /** Every call the server's admission refused (RESOURCE_EXHAUSTED 'OVERLOADED', or DEADLINE_EXCEEDED before it started). */
  callShed?(notice: ShedNotice): void;
  /** A server whose admission state to report; returns a function that stops reporting it. */
  observeAdmission?(source: AdmissionSource): () => void;
}

/** The hooks of an interceptor, or undefined when it has none. */
export function telemetryHooksOf(interceptor: unknown): TelemetryHooks | undefined {
  if (typeof interceptor !== 'object' || interceptor === null) return undefined;
  return (interceptor as { [TELEMETRY_HOOKS]?: TelemetryHooks })[TELEMETRY_HOOKS];
}
