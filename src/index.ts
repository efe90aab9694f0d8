// rivet-rpc: the public API. Re-exports only.
import 'reflect-metadata';

export { createApp, createClient, App, defaultRegistry, DEFAULT_CONNECT_TIMEOUT_MS } from './app';
export type { AppOptions, ClientOptions, CommonOptions, CloseOptions, LoggerInput, ListenAddress } from './app';
export { Service, Method, RemoteService, UseInterceptors, Retry, CircuitBreaker, Timeout, Fallback, Hedge, Bulkhead, RateLimit, Authorize } from './decorators';
export type { ServiceOptions, MethodOptions, AuthorizeCheck } from './decorators';
export { bearerAuth, bearerToken, AUTHORIZATION_METADATA_KEY } from './auth';
export type { BearerAuthOptions, BearerTokenSource } from './auth';
export { tracing, metrics, accessLog, DURATION_BUCKETS_MS, DEFAULT_ACCESS_LOG_LEVEL, RPC_SYSTEM } from './observability';
export type { TracingOptions, MetricsOptions, AccessLogOptions, AccessLogLevel, TelemetryOptions } from './observability';
export { Client, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS, DEFAULT_HEDGE_ATTEMPTS } from './client';
export type { CallOptions, ClientPolicy, MethodPolicy, HedgePolicy, OutlierDetectionPolicy, ClientStats, ClientEvents, Remote, Class } from './client';
export {
  DEFAULT_MAX_ATTEMPTS,
  MAX_ATTEMPTS_CAP,
  DEFAULT_INITIAL_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_BACKOFF_MULTIPLIER,
  DEFAULT_RETRY_BUDGET_RATIO,
  DEFAULT_RETRY_BUDGET_MIN_PER_SECOND,
  DEFAULT_ERROR_THRESHOLD_PERCENTAGE,
  DEFAULT_VOLUME_THRESHOLD,
  DEFAULT_ROLLING_COUNT_TIMEOUT_MS,
  DEFAULT_RESET_TIMEOUT_MS,
  RETRY_ATTEMPT_METADATA_KEY,
  CALLER_METADATA_KEY,
} from './resilience';
export type { RetryPolicy, BreakerPolicy, BulkheadPolicy, RateLimitPolicy, Fallback as FallbackFn, BreakerStateChange } from './resilience';
export { currentContext, DEFAULT_DEADLINE_MS } from './call';
export type { CallContext, Peer, PeerIdentity } from './call';
export type { Interceptor, InterceptorFn, InterceptorClass, InterceptorLike, Next } from './interceptors';
export { RpcError, isRpcError, ErrorReason, RivetConfigError, RivetErrorCode, RPC_CODES } from './errors';
export type { RpcCode, AttemptRecord, StoppedBy } from './errors';
export { MemoryRegistry, StaticRegistry, EtcdRegistry } from './discovery';
export type { Registry, Instance, EtcdRegistryOptions } from './discovery';
export type { Balancer, BalancerSpec, BalancerName, EndpointView, EndpointState, BreakerState, HashKeyFn, ConsistentHashOptions } from './balancer';
export {
  RoundRobinBalancer,
  RandomBalancer,
  WeightedRoundRobinBalancer,
  LeastActiveBalancer,
  P2cEwmaBalancer,
  ConsistentHashBalancer,
  createBalancer,
  BALANCER_NAMES,
  DEFAULT_BALANCER,
} from './balancer';
export { DEFAULT_MAX_FRAME_BYTES, PROTOCOL_VERSION } from './protocol';
export type { Codec, CodecName } from './protocol';
export { DEFAULT_DRAIN_TIMEOUT_MS } from './server';
export { DEFAULT_MAX_STREAMS_PER_CONNECTION } from './server';
export { DEFAULT_STREAM_WINDOW, DEFAULT_STREAM_WINDOW_MESSAGES, DEFAULT_STREAM_WINDOW_BYTES } from './stream';
export type { RemoteStream, StreamWindow } from './stream';
export type { StreamKind } from './protocol';
export type { StreamOptions } from './app';
export { MANIFEST_VERSION, checkManifest } from './manifest';
export type { ContractManifest, ManifestService, ManifestMethod, ManifestParam } from './manifest';
export { REFLECTION_SERVICE, HEALTH_SERVICE } from './server';
export type { ReflectionListing, ReflectedService, ReflectedMethod, ReflectedParam } from './server';
export { HTTP_STATUS_BY_CODE, DEFAULT_HTTP_MAX_BODY_BYTES, DEFAULT_HTTP_BODY_TIMEOUT_MS, DEFAULT_HTTP_HOST, ROLLING_WINDOW_SECONDS } from './http';
export type { HttpOptions, HttpGatewayOptions, HttpCorsOptions, DashboardSnapshot, MethodStatsRow, EndpointRow, TargetRow, RegistryRow } from './http';
export type { AdmissionOptions, ServerLoad } from './admission';
