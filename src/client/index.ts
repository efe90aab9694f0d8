// client/: calls remote services. Proxies, the client pipeline (fallback, deadline, bulkhead,
// retry or hedge, resolve, pick, breaker), channels and their pool. Layer 3: imports everything
// below it; never server/ or decorators/.
export { Client, type CallOptions, type ClientDeps, type ClientEvents } from './client';
export { type ClientPolicy, type MethodPolicy, type HedgePolicy, checkClientPolicy, DEFAULT_HEDGE_ATTEMPTS } from './client-policy';
export type { ClientStats } from './client-stats';
export type { OutlierDetectionPolicy } from './outlier-detector';
export type { Remote, Class, ServiceContract, ContractResolver, ContractPolicy } from './remote';
export { RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from './channel';
