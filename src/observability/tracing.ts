import {
  type Context,
  context,
  isSpanContextValid,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { CallContext } from '../call';
import { RivetConfigError, RivetErrorCode } from '../errors';
import type { Interceptor, Next } from '../interceptors';
import { optionsObject, rejectUnknownKeys } from '../util';
import { MetadataPropagation } from './propagation';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_RIVET_ATTEMPT,
  ATTR_RIVET_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TLS_CLIENT_SUBJECT,
  attemptOf,
  INSTRUMENTATION_SCOPE,
  isServerFault,
  RPC_SYSTEM,
  splitAddress,
  statusOf,
} from './semconv';

/** Options of {@link tracing}. */
export interface TracingOptions {
  /** Where spans go. Default: the global provider (`trace.setGlobalTracerProvider`, which the OpenTelemetry Node SDK sets). */
  tracerProvider?: TracerProvider;
  /** How trace context travels in call metadata. Default: the global propagator (W3C trace context and baggage under the Node SDK). */
  propagator?: TextMapPropagator;
}

const TRACING_KEYS = ['tracerProvider', 'propagator'] as const;

/**
 * Validates tracing options; `name` prefixes error messages. Throws RivetConfigError.
 * @internal shared with telemetryInterceptors.
 */
export function checkTracingOptions(input: unknown, name: string): TracingOptions {
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, TRACING_KEYS);
  const provider = o.tracerProvider as Partial<TracerProvider> | undefined;
  if (provider !== undefined && (typeof provider !== 'object' || provider === null || typeof provider.getTracer !== 'function')) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.tracerProvider must be an OpenTelemetry TracerProvider (with getTracer), e.g. a NodeTracerProvider.`);
  }
  const propagator = o.propagator as Partial<TextMapPropagator> | undefined;
  if (propagator !== undefined && (typeof propagator !== 'object' || propagator === null || typeof propagator.inject !== 'function' || typeof propagator.extract !== 'function')) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.propagator must be an OpenTelemetry TextMapPropagator (inject, extract, fields), e.g. W3CTraceContextPropagator.`);
  }
  return { tracerProvider: o.tracerProvider as TracerProvider | undefined, propagator: o.propagator as TextMapPropagator | undefined };
}

/**
 * Distributed tracing for calls, on the OpenTelemetry API: one interceptor for both sides.
 * - Client: a CLIENT span per call (named `Service/method`), and a CLIENT child span per attempt
 *   for methods that retry or hedge; the attempt's span context goes to the server in the call's
 *   metadata (`traceparent`, `tracestate`, `baggage`).
 * - Server: a SERVER span per call, child of the caller's span, active while the handler runs,
 *   so the handler's own calls become its children, across processes.
 * Attributes follow the OpenTelemetry RPC conventions (`rpc.system` = 'rivet', `rpc.service`,
 * `rpc.method`, `server.address`/`server.port` on the client, `network.peer.*` on the server),
 * plus `rpc.rivet.status_code` ('OK' or the RpcCode). A failed call's client span has status
 * ERROR; a server span has it only for codes that mean the server failed (UNKNOWN,
 * DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS).
 * Without an SDK the API's no-op tracer answers and a call costs a non-recording span and a
 * check. Needs an async context manager for parent links inside a process (the Node SDK
 * registers one). Throws RivetConfigError for bad options.
 */
export function tracing(opts?: TracingOptions): Interceptor {
  return new TracingInterceptor(checkTracingOptions(opts, 'tracing options'));
}

class TracingInterceptor implements Interceptor {
  private readonly tracer: Tracer;
  private readonly propagation: MetadataPropagation;

  constructor(opts: TracingOptions) {
    // A ProxyTracer when no provider is given: it follows a global provider registered later.
    this.tracer = (opts.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE);
    this.propagation = new MetadataPropagation(opts.propagator);
  }

  intercept(ctx: CallContext, next: Next): Promise<unknown> {
    return ctx.side === 'server' ? this.serve(ctx, next) : this.call(ctx, next);
  }

  /** One attempt of a client call: a child of the call's span, whose context goes on the wire. */
  async interceptAttempt(ctx: CallContext, next: Next): Promise<unknown> {
    const parent = context.active();
    const callSpan = trace.getSpan(parent);
    // The call's span was not sampled (or there is no SDK): it already injected what to pass on.
    if (callSpan === undefined || !callSpan.isRecording()) return next();
    const span = this.tracer.startSpan(`${ctx.service}/${ctx.method}`, { kind: SpanKind.CLIENT }, parent);
    return this.runClientSpan(span, parent, ctx, next, attemptOf(ctx));
  }

  private call(ctx: CallContext, next: Next): Promise<unknown> {
    const parent = context.active();
    const span = this.tracer.startSpan(`${ctx.service}/${ctx.method}`, { kind: SpanKind.CLIENT }, parent);
    if (!span.isRecording()) {
      // Still pass on a sampled-out trace (so the server does not start a new one) and baggage.
      this.propagation.inject(isSpanContextValid(span.spanContext()) ? trace.setSpan(parent, span) : parent, ctx.metadata);
      return next();
    }
    return this.runClientSpan(span, parent, ctx, next, 0);
  }

  // attempt 0: the span of the whole call; 1, 2, ...: the span of one attempt.
  private async runClientSpan(span: Span, parent: Context, ctx: CallContext, next: Next, attempt: number): Promise<unknown> {
    span.setAttribute(ATTR_RPC_SYSTEM, RPC_SYSTEM);
    span.setAttribute(ATTR_RPC_SERVICE, ctx.service);
    span.setAttribute(ATTR_RPC_METHOD, ctx.method);
    if (attempt > 0) span.setAttribute(ATTR_RIVET_ATTEMPT, attempt);
    const active = trace.setSpan(parent, span);
    // An attempt overwrites what its call injected, so the server's span hangs off the attempt.
    this.propagation.inject(active, ctx.metadata);
    let code = 'OK';
    try {
      return await context.with(active, next);
    } catch (err) {
      code = statusOf(err);
      span.setAttribute(ATTR_ERROR_TYPE, code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.setAttribute(ATTR_RIVET_STATUS_CODE, code);
      // The endpoint picked (for the call: the last attempt's).
      if (ctx.peer !== undefined) {
        const { host, port } = splitAddress(ctx.peer.address);
        span.setAttribute(ATTR_SERVER_ADDRESS, host);
        if (port !== undefined) span.setAttribute(ATTR_SERVER_PORT, port);
      }
      span.end();
    }
  }

  private async serve(ctx: CallContext, next: Next): Promise<unknown> {
    const base = context.active();
    const parent = this.propagation.extract(base, ctx.metadata);
    const span = this.tracer.startSpan(`${ctx.service}/${ctx.method}`, { kind: SpanKind.SERVER }, parent);
    if (!span.isRecording()) {
      // Nothing came in and nothing records: leave the context alone. Otherwise pass on what came.
      if (parent === base && !isSpanContextValid(span.spanContext())) return next();
      return context.with(trace.setSpan(parent, span), next);
    }
    span.setAttribute(ATTR_RPC_SYSTEM, RPC_SYSTEM);
    span.setAttribute(ATTR_RPC_SERVICE, ctx.service);
    span.setAttribute(ATTR_RPC_METHOD, ctx.method);
    const peer = ctx.peer;
    if (peer !== undefined) {
      const { host, port } = splitAddress(peer.address);
      span.setAttribute(ATTR_NETWORK_PEER_ADDRESS, host);
      if (port !== undefined) span.setAttribute(ATTR_NETWORK_PEER_PORT, port);
      if (peer.identity !== undefined) span.setAttribute(ATTR_TLS_CLIENT_SUBJECT, peer.identity.subject);
    }
    let code = 'OK';
    try {
      return await context.with(trace.setSpan(parent, span), next);
    } catch (err) {
      code = statusOf(err);
      span.setAttribute(ATTR_ERROR_TYPE, code);
      if (isServerFault(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.setAttribute(ATTR_RIVET_STATUS_CODE, code);
      span.end();
    }
  }
}
