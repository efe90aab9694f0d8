// server/: serves ServiceDefinitions over a Transport: handshake, dispatch through pre-composed
// chains, deadlines, cancellation, graceful drain. Layer 3: imports transport/, protocol/, call/,
// interceptors/, errors/, util/; never client/ or decorators/.
export { Server, DEFAULT_DRAIN_TIMEOUT_MS, type ServerOptions, type ServerLimits } from './server';
export type { ServiceDefinition, MethodDefinition } from './service-definition';
export { Dispatcher, type MethodEntry, type InProcessCall, type InProcessTracker } from './dispatcher';
export { HealthState, HEALTH_SERVICE, healthServiceDefinition, type HealthStatus } from './health';
export {
  REFLECTION_SERVICE,
  reflectionServiceDefinition,
  type ReflectionListing,
  type ReflectedService,
  type ReflectedMethod,
  type ReflectedParam,
} from './reflection';
