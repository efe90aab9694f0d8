// http/: the app's HTTP surface: the JSON gateway, probes, /metrics and the live dashboard. The
// only folder that imports node:http and node:https. Layer 3, beside server/: imports server/
// (the in-process call), transport/ (a TLS peer's identity), call/, errors/, util/; app/ wires it
// to the client, the registry, health and the Prometheus provider.
export {
  resolveHttpOptions,
  DEFAULT_HTTP_MAX_BODY_BYTES,
  DEFAULT_HTTP_BODY_TIMEOUT_MS,
  DEFAULT_HTTP_HOST,
  type HttpOptions,
  type HttpGatewayOptions,
  type HttpCorsOptions,
  type ResolvedHttpOptions,
} from './http-options';
export { HTTP_STATUS_BY_CODE, httpStatusOf } from './status-table';
export { metadataFromHeaders, timeoutFromHeaders, TIMEOUT_HEADER, META_HEADER_PREFIX } from './request-metadata';
export { Gateway, GATEWAY_PREFIX, type GatewayTarget, type GatewaySettings } from './gateway';
export { type ProbeCheck, type ProbeSource } from './probes';
export { MethodStats, ROLLING_WINDOW_SECONDS, type MethodStatsRow } from './method-stats';
export type { DashboardSnapshot, DashboardSource, EndpointRow, TargetRow, RegistryRow } from './dashboard-snapshot';
export { EventStream, DASHBOARD_INTERVAL_MS } from './event-stream';
export { Router, type RouterParts, type MetricsSource } from './router';
export { HttpServer, type HttpTls } from './http-server';
