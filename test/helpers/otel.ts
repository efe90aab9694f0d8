import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { type DataPoint, type Histogram, type MetricData, MetricReader, MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry SDK pieces for tests: an in-memory span exporter, a metric reader collected by
 * hand, the W3C propagators and the AsyncLocalStorage context manager, each passed to Rivet
 * explicitly (only the context manager is global, as it must be).
 */

/** A tracer provider that keeps finished spans in memory. */
export function memoryTracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, exporter, spans: () => exporter.getFinishedSpans() };
}

/** W3C trace context and baggage, as the Node SDK registers them. */
export function w3cPropagator(): CompositePropagator {
  return new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
}

/** Registers the AsyncLocalStorage context manager; returns what undoes it. */
export function enableAsyncContext(): () => void {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return () => {
    manager.disable();
    context.disable();
  };
}

/** A MetricReader that exports nothing by itself: tests call collect(). */
export class ManualReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** A meter provider with a reader to collect by hand. */
export function memoryMetrics(): { provider: MeterProvider; reader: ManualReader } {
  const reader = new ManualReader();
  return { provider: new MeterProvider({ readers: [reader] }), reader };
}

/** Every metric the reader sees now, by name. */
export async function collectMetrics(reader: MetricReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw errors[0];
  const out = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out.set(m.descriptor.name, m);
  return out;
}

/** The data points of a metric whose attributes include `match`. */
export function pointsOf<T = number>(metric: MetricData | undefined, match: Record<string, unknown> = {}): DataPoint<T>[] {
  if (metric === undefined) return [];
  return (metric.dataPoints as DataPoint<T>[]).filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

/** How many values a histogram recorded over the points whose attributes include `match`. */
export function histogramCount(metric: MetricData | undefined, match: Record<string, unknown> = {}): number {
  return pointsOf<Histogram>(metric, match).reduce((n, p) => n + p.value.count, 0);
}
