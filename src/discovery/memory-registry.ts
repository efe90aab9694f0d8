import type { Instance } from './instance';
import type { Registry } from './registry';

/**
 * An in-process registry: one Map, no network. One instance may be shared by several apps and
 * clients in the same process; it is the embedded default when no registry is configured.
 */
export class MemoryRegistry implements Registry {
  private readonly services = new Map<string, Map<string, Instance>>();
  private readonly watchers = new Map<string, Set<(instances: Instance[]) => void>>();

  async register(instance: Instance): Promise<void> {
    let byId = this.services.get(instance.service);
    if (!byId) this.services.set(instance.service, (byId = new Map()));
    byId.set(instance.id, { ...instance, metadata: { ...instance.metadata } });
    this.notify(instance.service);
  }

  async deregister(instance: Instance): Promise<void> {
    const byId = this.services.get(instance.service);
    if (byId?.delete(instance.id)) this.notify(instance.service);
  }

  async resolve(service: string): Promise<Instance[]> {
    return this.snapshot(service);
  }

  watch(service: string, cb: (instances: Instance[]) => void): () => void {
    let set = this.watchers.get(service);
    if (!set) this.watchers.set(service, (set = new Set()));
    set.add(cb);
    return () => {
      set.delete(cb);
    };
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }

  private snapshot(service: string): Instance[] {
    const byId = this.services.get(service);
    return byId ? [...byId.values()] : [];
  }

  private notify(service: string): void {
    const set = this.watchers.get(service);
    if (!set || set.size === 0) return;
    const list = this.snapshot(service);
    for (const cb of set) cb(list);
  }
}
