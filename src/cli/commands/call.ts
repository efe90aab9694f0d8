import type { Output } from '../output';
import type { CallSettings } from '../reflection-client';
import type { Target } from '../target';

/**
 * Calls `service.method(...args)` and prints the result as JSON on stdout (indented, or on one
 * line with `-o json`). A service that no instance in etcd, or no given address, serves is
 * UNIMPLEMENTED, as a server answers for a service it does not serve.
 */
export async function runCall(target: Target, service: string, method: string, args: unknown[], s: CallSettings, format: string, out: Output): Promise<number> {
  if ((await target.addressesOf(service)).length === 0) {
    throw target.unknownService(service);
  }
  const result = await target.client().invoke(service, method, args, s.timeoutMs === undefined ? { metadata: s.metadata } : { metadata: s.metadata, timeoutMs: s.timeoutMs });
  out.json(result, format === 'json' ? 0 : 2);
  return 0;
}
