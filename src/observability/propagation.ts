import { type Context, propagation, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';

/*
 * Trace context travels in call metadata: W3C `traceparent`, `tracestate` and `baggage` are
 * string keys of `ctx.metadata`, set on the client and read on the server. The getter and setter
 * are the carrier adapters a TextMapPropagator needs over a Record<string, string>.
 */

/** Reads trace headers from call metadata. Keys are lower case, as W3C propagators ask for them. */
export const metadataGetter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** Writes trace headers into call metadata. */
export const metadataSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * Injects and extracts through one propagator: the one given, or else the API's global one
 * (read on every call, so an SDK started after the app still takes effect; the OpenTelemetry
 * Node SDK registers W3C trace context and baggage). Without either, both are no-ops.
 */
export class MetadataPropagation {
  constructor(private readonly propagator: TextMapPropagator | undefined) {}

  /** Writes `ctx`'s span context (and baggage) into `metadata`. */
  inject(ctx: Context, metadata: Record<string, string>): void {
    if (this.propagator === undefined) propagation.inject(ctx, metadata, metadataSetter);
    else this.propagator.inject(ctx, metadata, metadataSetter);
  }

  /** `base` with the span context (and baggage) found in `metadata`; `base` itself when there is none. */
  extract(base: Context, metadata: Record<string, string>): Context {
    return this.propagator === undefined ? propagation.extract(base, metadata, metadataGetter) : this.propagator.extract(base, metadata, metadataGetter);
  }
}
