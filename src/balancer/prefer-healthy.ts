import type { EndpointView } from './endpoint-view';

/** True when neither the endpoint's breaker is open nor outlier detection has ejected it. */
export function isHealthy(e: EndpointView): boolean {
  return e.breaker !== 'open' && !e.ejected;
}

/**
 * The healthy endpoints of `endpoints`, or `endpoints` itself when all of them (or none of them)
 * are healthy. The client already leaves out breaker-open and ejected endpoints, so the usual
 * case is one scan and no allocation; the copy is made only when a caller passed a mixed list.
 * When none is healthy the list is returned whole: the client offered them, and picking one
 * beats failing the attempt here.
 */
export function preferHealthy(endpoints: readonly EndpointView[]): readonly EndpointView[] {
  let healthy = 0;
  for (let i = 0; i < endpoints.length; i++) if (isHealthy(endpoints[i])) healthy++;
  if (healthy === endpoints.length || healthy === 0) return endpoints;
  const out: EndpointView[] = [];
  for (let i = 0; i < endpoints.length; i++) if (isHealthy(endpoints[i])) out.push(endpoints[i]);
  return out;
}

