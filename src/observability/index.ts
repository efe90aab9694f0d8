// observability/: tracing, metrics and the access log as interceptors, on the OpenTelemetry API
// (the only folder that imports @opentelemetry/*). Layer 2, like interceptors/: imports call/,
// errors/, util/ and interceptors/; app/ feeds it breaker events, connection counts and loggers.
export { tracing, type TracingOptions } from './tracing';
export { metrics, isMetricsInterceptor, type MetricsOptions, DURATION_BUCKETS_MS, BREAKER_STATE_VALUES } from './metrics';
export { accessLog, type AccessLogOptions, type AccessLogLevel, DEFAULT_ACCESS_LOG_LEVEL } from './access-log';
export { telemetryInterceptors, type TelemetryOptions } from './telemetry';
export { metadataGetter, metadataSetter } from './propagation';
export { TELEMETRY_HOOKS, telemetryHooksOf, type TelemetryHooks, type BreakerChange, type ConnectionSource, type ShedNotice, type AdmissionSource } from './telemetry-hooks';
export { RPC_SYSTEM, INSTRUMENTATION_SCOPE, ATTEMPT_METADATA_KEY, HEDGE_METADATA_KEY } from './semconv';
export { prometheusMetrics, type PrometheusMetrics, PROMETHEUS_CONTENT_TYPE } from './prometheus';
