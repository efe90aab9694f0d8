// decorators/: @Service, @Method, @RemoteService, @UseInterceptors, @Authorize. They record
// metadata and nothing else. Layer 3: imports errors/, types from call/, interceptors/ and resilience/, and
// only `inject` from inversify.
export { Service } from './service';
export { Method } from './method';
export { RemoteService } from './remote-service';
export { UseInterceptors } from './use-interceptors';
export { Authorize, getAuthorizeChecks, getAuthorizedMembers, type AuthorizeCheck } from './authorize';
export { Retry, CircuitBreaker, Timeout, Fallback, Hedge, Bulkhead, RateLimit, getResilienceMetadata, type ResilienceMetadata, type HedgePolicy } from './resilience';
export {
  type ServiceOptions,
  type ServiceMetadata,
  type MethodOptions,
  type RemoteInjection,
  getServiceClasses,
  getRemoteInjections,
  getServiceMetadata,
  getMethodMetadata,
  getClassInterceptors,
  getMethodInterceptors,
} from './metadata-store';
