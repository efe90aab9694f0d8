import { isRpcError, type RpcError } from '../../errors';
import { HEALTH_SERVICE, REFLECTION_SERVICE, type ReflectionListing } from '../../server';
import { EXIT_FAILURE, exitCodeOf } from '../exit-codes';
import { formatTable, type Output } from '../output';
import type { CallSettings } from '../reflection-client';
import type { Target } from '../target';

type Status = 'SERVING' | 'NOT_SERVING';

/** One instance's answer in `rivet health -o json`. */
interface InstanceHealth {
  service: string;
  address: string;
  status: Status;
  /** Why it is not serving, when its check failed. */
  error?: { code: string; message: string };
}

function opts(s: CallSettings): { metadata: Record<string, string>; timeoutMs?: number } {
  return s.timeoutMs === undefined ? { metadata: s.metadata } : { metadata: s.metadata, timeoutMs: s.timeoutMs };
}

/** Which services to check at which addresses: the one named, etcd's, or what reflection lists. */
async function plan(target: Target, service: string | undefined, s: CallSettings, errors: RpcError[]): Promise<Map<string, string[]>> {
  if (service !== undefined) return new Map([[service, await target.addressesOf(service)]]);
  const registered = await target.registered();
  if (registered !== undefined) return registered;
  const byService = new Map<string, string[]>();
  for (const address of await target.allAddresses()) {
    try {
      const listing = (await target.at(address).invoke(REFLECTION_SERVICE, 'list', [], opts(s))) as ReflectionListing;
      for (const svc of listing.services) byService.set(svc.name, [...(byService.get(svc.name) ?? []), address]);
    } catch (err) {
      if (!isRpcError(err)) throw err;
      // Without reflection, the server as a whole ('') is what can be checked.
      if (err.code === 'UNAVAILABLE' || err.code === 'DEADLINE_EXCEEDED') errors.push(err);
      byService.set('', [...(byService.get('') ?? []), address]);
    }
  }
  return byService;
}

/**
 * Checks `rivet.Health` of each service at each of its instances. A service is SERVING when at
 * least one instance says so. Exits 0 when every service is SERVING; when none could be reached,
 * with the failure's code; 1 otherwise (NOT_SERVING, draining). A named service that no instance
 * serves is NOT_SERVING and exits with UNIMPLEMENTED's code, its error on stderr.
 */
export async function runHealth(target: Target, service: string | undefined, s: CallSettings, format: string, out: Output): Promise<number> {
  const errors: RpcError[] = [];
  const checks = await plan(target, service, s, errors);
  const instances: InstanceHealth[] = [];
  // Instances whose rivet.Health does not know the service it was asked about.
  let unknownAt = 0;
  await Promise.all(
    [...checks].flatMap(([svc, addresses]) =>
      addresses.map(async (address) => {
        try {
          const answer = (await target.at(address).invoke(HEALTH_SERVICE, 'check', svc === '' ? [] : [svc], opts(s))) as { status?: string };
          if (answer?.status === 'UNKNOWN') unknownAt++;
          instances.push({ service: svc, address, status: answer?.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING' });
        } catch (err) {
          if (!isRpcError(err)) throw err;
          errors.push(err);
          instances.push({ service: svc, address, status: 'NOT_SERVING', error: { code: err.code, message: err.message } });
        }
      }),
    ),
  );
  instances.sort((a, b) => (a.service === b.service ? (a.address < b.address ? -1 : 1) : a.service < b.service ? -1 : 1));
  const services: Record<string, Status> = {};
  for (const name of [...checks.keys()].sort()) {
    services[name] = instances.some((i) => i.service === name && i.status === 'SERVING') ? 'SERVING' : 'NOT_SERVING';
  }
  const status: Status = Object.keys(services).length > 0 && Object.values(services).every((x) => x === 'SERVING') ? 'SERVING' : 'NOT_SERVING';
  if (format === 'json') out.json({ status, services, instances });
  else {
    out.text(
      formatTable(
        ['SERVICE', 'STATUS', 'INSTANCE'],
        instances.map((i) => [i.service === '' ? '(server)' : i.service, i.status, i.error === undefined ? i.address : `${i.address} (${i.error.code}: ${i.error.message})`]),
      ),
    );
  }
  if (status === 'SERVING') return 0;
  // A named service that no instance serves is an unknown service, as for `call`: UNIMPLEMENTED.
  if (service !== undefined && unknownAt === instances.length) {
    const err = target.unknownService(service);
    out.rpcError(err);
    return exitCodeOf(err.code);
  }
  // Nothing answered at all: the failure is the reason, and its code is the exit code.
  const answered = instances.some((i) => i.error === undefined);
  if (!answered && errors.length > 0) {
    out.rpcError(errors[0]);
    return exitCodeOf(errors[0].code);
  }
  if (Object.keys(services).length === 0) out.note('no services found');
  return EXIT_FAILURE;
}
