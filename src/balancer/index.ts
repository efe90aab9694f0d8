// balancer/: which endpoint takes an attempt. The Balancer seam, the EndpointView it sees, and
// the built-in policies. Layer 2: imports discovery/ (Instance), call/ (types), errors/, util/.
export type { Balancer } from './balancer';
export type { EndpointView, EndpointState } from './endpoint-view';
export { RoundRobinBalancer } from './round-robin';
