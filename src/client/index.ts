// client/: calls remote services. Proxies, the client pipeline (deadline, retry, resolve, pick),
// channels and their pool. Layer 3: imports everything below it; never server/ or decorators/.
export { Client, type CallOptions, type ClientDeps } from './client';
export { type ClientPolicy, type MethodPolicy, type RetryPolicy, resolveClientPolicy, DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_CAP } from './client-policy';
export type { Remote, Class, ServiceContract, ContractResolver } from './remote';
export { RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from './channel';
