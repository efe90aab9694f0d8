import { getMethodMetadata } from '../decorators';
import { type ContractManifest, type ManifestService, STREAM_KINDS, type StreamKind } from '../manifest';
import type { ReflectedMethod, ReflectedService, ReflectionListing, ServiceDefinition } from '../server';

/**
 * What `rivet.Reflection` answers for an app: each served service's methods with the facts the
 * server enforces (idempotent, the deadline cap, the stream kind), and, when the app was given a
 * contract manifest, the names and types its sources declare. `classes[i]` made `services[i]`.
 */
export function buildReflectionListing(classes: readonly Function[], services: readonly ServiceDefinition[], contract: ContractManifest | undefined): ReflectionListing {
  const contracts = new Map<string, ManifestService>((contract?.services ?? []).map((s) => [s.name, s]));
  return {
    services: services.map((def, i): ReflectedService => {
      const cls = classes[i];
      const options = getMethodMetadata(cls);
      const entry = contracts.get(def.name);
      const declared = new Map((entry?.methods ?? []).map((m) => [m.name, m]));
      const methods = def.methods.map((m): ReflectedMethod => {
        const fromContract = declared.get(m.name);
        const fn = (cls.prototype as Record<string, unknown>)[m.name];
        const out: ReflectedMethod = {
          name: m.name,
          arity: fromContract?.params.length ?? (typeof fn === 'function' ? fn.length : 0),
          params: fromContract?.params.map((p) => ({ ...p })) ?? [],
          idempotent: m.idempotent,
        };
        if (fromContract !== undefined) out.returns = fromContract.returns;
        if (m.timeoutMs !== undefined) out.timeoutMs = m.timeoutMs;
        // `stream` is read as data so that this listing carries it as soon as @Method accepts it.
        const stream = (options.get(m.name) as { stream?: unknown } | undefined)?.stream;
        if (STREAM_KINDS.includes(stream as StreamKind)) out.stream = stream as StreamKind;
        else if (fromContract?.stream !== undefined) out.stream = fromContract.stream;
        if (fromContract?.deprecated === true) out.deprecated = true;
        return out;
      });
      methods.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const service: ReflectedService = { name: def.name, methods };
      if (def.version !== undefined) service.version = def.version;
      if (entry !== undefined) service.contract = entry as unknown as Record<string, unknown>;
      return service;
    }),
  };
}
