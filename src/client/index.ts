// client/: calls remote services. The public facade (Client, proxies, policies) at the top; the
// call's own type and pipeline (client-call.ts, client-pipeline.ts); target assembly
// (targets.ts), the call entry (method-caller.ts) and what a call by name learns of a method
// (method-facts.ts); routing/ (router, endpoints, outlier detection, shared endpoint health) and
// connection/ (channel, connect and handshake, latency average, pool, per-target TLS).
// Layer 3: imports everything below it; never server/ or decorators/.
export { Client, type CallOptions, type ClientDeps, type ClientEvents } from './client';
export { type ClientPolicy, type MethodPolicy, type HedgePolicy, checkClientPolicy, DEFAULT_HEDGE_ATTEMPTS } from './client-policy';
export type { ClientStats } from './client-stats';
export type { OutlierDetectionPolicy } from './routing/outlier-detector';
export type { Remote, Class, ServiceContract, ContractResolver, ContractPolicy } from './remote';
export type { MethodFacts, MethodFactsSource } from './method-facts';
export { RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from './connection/channel';
