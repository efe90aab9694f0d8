// balancer/: which endpoint takes an attempt. The Balancer seam, the EndpointView it sees, and
// the built-in policies. Layer 2: imports discovery/ (Instance), call/ (types), errors/, util/.
export type { Balancer } from './balancer';
export type { EndpointView, EndpointState, BreakerState } from './endpoint-view';
export { RoundRobinBalancer } from './round-robin';
export { RandomBalancer } from './random';
export { WeightedRoundRobinBalancer } from './weighted-round-robin';
export { LeastActiveBalancer } from './least-active';
export { P2cEwmaBalancer } from './p2c-ewma';
export { ConsistentHashBalancer, type ConsistentHashOptions, type HashKeyFn } from './consistent-hash';
export type { RandomSource } from './random-source';
export {
  BALANCER_NAMES,
  DEFAULT_BALANCER,
  type BalancerName,
  type BalancerSpec,
  createBalancer,
  validateBalancerSpec,
} from './create-balancer';
