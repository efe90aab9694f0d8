import type { Interceptor } from '../interceptors';
import { secondsMetrics } from './metrics';

/** The content type of Prometheus's text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4';

/** A meter provider of Rivet's own, read by scraping, and the interceptor that records into it. */
export interface PrometheusMetrics {
  /** Records the app's RPC metrics (durations in seconds) into this provider; give it to the app as a global interceptor. */
  readonly interceptor: Interceptor;
  /** The current metrics in Prometheus text format (`text/plain; version=0.0.4`). */
  scrape(): Promise<string>;
  /** Releases the provider. */
  shutdown(): Promise<void>;
}

// OpenTelemetry names → the names Prometheus conventions ask for: base units in the name
// (`_seconds`). Counters get `_total` from the exporter itself.
const PROMETHEUS_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['rpc.server.call.duration', 'rpc_server_call_duration_seconds'],
  ['rpc.client.call.duration', 'rpc_client_call_duration_seconds'],
];

/**
 * Creates a MeterProvider (the OpenTelemetry SDK) whose reader is the OpenTelemetry Prometheus
 * exporter, with no server of its own: the app's HTTP server serves it at `/metrics`. The SDK and
 * the exporter are loaded here, on first use, so apps without `/metrics` never load them. Works
 * whether or not the user set up an SDK: this provider is separate from the global one, which
 * the app's `telemetry` option keeps feeding as before.
 */
export async function prometheusMetrics(): Promise<PrometheusMetrics> {
  const [{ MeterProvider }, { PrometheusExporter, PrometheusSerializer }] = await Promise.all([
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-prometheus'),
  ]);
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  const provider = new MeterProvider({
    readers: [exporter],
    views: PROMETHEUS_NAMES.map(([instrumentName, name]) => ({ instrumentName, name })),
  });
  return {
    interceptor: secondsMetrics(provider),
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      // `# UNIT` is OpenMetrics; the 0.0.4 text format has only HELP and TYPE, so strict parsers
      // (promtool among them) are given nothing else.
      return serializer
        .serialize(resourceMetrics)
        .split('\n')
        .filter((line) => !line.startsWith('# UNIT '))
        .join('\n');
    },
    shutdown: () => provider.shutdown(),
  };
}
