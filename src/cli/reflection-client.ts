import { isRpcError } from '../errors';
import { REFLECTION_SERVICE, type ReflectedService, type ReflectionListing } from '../server';
import type { Output } from './output';
import type { Target } from './target';

/** Per-call settings every command passes on: the `-H` metadata and the `--timeout` deadline. */
export interface CallSettings {
  metadata: Record<string, string>;
  timeoutMs: number | undefined;
}

// An address that cannot be reached says nothing about the others; any other failure (refused,
// reflection turned off) is the answer, and the command exits with it.
function unreachable(err: unknown): boolean {
  return isRpcError(err) && (err.code === 'UNAVAILABLE' || err.code === 'DEADLINE_EXCEEDED');
}

function callOptions(s: CallSettings): { metadata: Record<string, string>; timeoutMs?: number } {
  return s.timeoutMs === undefined ? { metadata: s.metadata } : { metadata: s.metadata, timeoutMs: s.timeoutMs };
}

/**
 * Asks `rivet.Reflection.list()` at every address. Rejects with the first refusal (an error other
 * than UNAVAILABLE or DEADLINE_EXCEEDED), or with the first error when no address answered;
 * addresses that could not be reached while others answered are reported on stderr.
 */
export async function listAll(target: Target, addresses: readonly string[], s: CallSettings, out: Output): Promise<Map<string, ReflectionListing>> {
  const settled = await Promise.allSettled(addresses.map((a) => target.at(a).invoke(REFLECTION_SERVICE, 'list', [], callOptions(s))));
  const answers = new Map<string, ReflectionListing>();
  let firstError: unknown;
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') answers.set(addresses[i], r.value as ReflectionListing);
    else {
      firstError ??= r.reason;
      if (!unreachable(r.reason)) throw r.reason;
    }
  });
  if (answers.size === 0 && firstError !== undefined) throw firstError;
  settled.forEach((r, i) => {
    if (r.status === 'rejected') out.warn(`${addresses[i]} did not answer: ${(r.reason as Error).message}`);
  });
  return answers;
}

/**
 * One service's facts from `rivet.Reflection.describe(service)`, asking the addresses in turn
 * until one answers. Rejects with UNIMPLEMENTED when no address serves it, or with the refusal.
 */
export async function describeOne(target: Target, service: string, addresses: readonly string[], s: CallSettings): Promise<ReflectedService> {
  if (addresses.length === 0) throw target.unknownService(service);
  let last: unknown;
  for (const address of addresses) {
    try {
      return (await target.at(address).invoke(REFLECTION_SERVICE, 'describe', [service], callOptions(s))) as ReflectedService;
    } catch (err) {
      last = err;
      // With several fixed addresses the service may live at another one.
      const elsewhere = isRpcError(err) && err.code === 'UNIMPLEMENTED' && addresses.length > 1;
      if (!unreachable(err) && !elsewhere) throw err;
    }
  }
  throw last;
}
