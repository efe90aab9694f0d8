import type { ReflectionListing } from '../../server';
import { formatTable, type Output } from '../output';
import { listAll, type CallSettings } from '../reflection-client';
import type { Target } from '../target';

/** One row of `rivet ls`. */
export interface LsRow {
  name: string;
  /** The version, when every instance that answered advertises the same one. */
  version?: string;
  /** Every version its instances advertise, sorted. */
  versions: string[];
  /** How many methods it has (the union over the instances that answered). */
  methods: number;
  /** Live instances: registered in etcd, or fixed addresses whose reflection lists it. */
  instances: number;
}

/**
 * Lists the services: names and versions from `rivet.Reflection`, instance counts from etcd (or
 * from the fixed addresses that serve each). Rejects with the reflection call's error when it is
 * refused, before anything is printed.
 */
export async function runLs(target: Target, s: CallSettings, format: string, out: Output): Promise<number> {
  const registered = await target.registered();
  const addresses = await target.allAddresses();
  const answers = await listAll(target, addresses, s, out);
  const rows = new Map<string, { versions: Set<string>; methods: Set<string>; addresses: Set<string> }>();
  const row = (name: string) => {
    let r = rows.get(name);
    if (r === undefined) rows.set(name, (r = { versions: new Set(), methods: new Set(), addresses: new Set() }));
    return r;
  };
  for (const [address, listing] of answers) {
    for (const svc of (listing as ReflectionListing).services) {
      const r = row(svc.name);
      if (svc.version !== undefined) r.versions.add(svc.version);
      for (const m of svc.methods) r.methods.add(m.name);
      r.addresses.add(address);
    }
  }
  // With etcd, a registered service whose instances did not answer is still listed, with its count.
  for (const name of registered?.keys() ?? []) row(name);
  const result: LsRow[] = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, r]) => {
      const versions = [...r.versions].sort();
      const instances = registered !== undefined ? (registered.get(name)?.length ?? 0) : r.addresses.size;
      // Keys in reading order: name, version, versions, methods, instances.
      return versions.length === 1
        ? { name, version: versions[0], versions, methods: r.methods.size, instances }
        : { name, versions, methods: r.methods.size, instances };
    });
  if (format === 'json') {
    out.json({ services: result });
  } else {
    out.text(
      formatTable(
        ['SERVICE', 'VERSION', 'METHODS', 'INSTANCES'],
        result.map((r) => [r.name, r.versions.join(',') || '-', String(r.methods), String(r.instances)]),
      ),
    );
  }
  return 0;
}
