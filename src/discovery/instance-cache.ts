import type { Instance } from './instance';
import type { Registry } from './registry';

/**
 * A client's view of a registry: each service is resolved once, then followed by a watch, so
 * calls read the current set synchronously and never ask the registry on the hot path.
 */
export class InstanceCache {
  private readonly sets = new Map<string, Instance[]>();
  private readonly loading = new Map<string, Promise<Instance[]>>();
  private readonly unwatch: Array<() => void> = [];
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly registry: Registry) {}

  /** The cached set, or undefined when the service was never resolved. */
  peek(service: string): Instance[] | undefined {
    return this.sets.get(service);
  }

  /** Resolves a service the first time and starts following it; later calls share the result. */
  load(service: string): Promise<Instance[]> {
    const cached = this.sets.get(service);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.loading.get(service);
    if (pending === undefined) {
      pending = this.start(service);
      this.loading.set(service, pending);
    }
    return pending;
  }

  /** Calls `listener` after every change of a followed service's set; returns an unsubscribe function. */
  onChange(service: string, listener: () => void): () => void {
    let set = this.listeners.get(service);
    if (set === undefined) this.listeners.set(service, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Stops following every service. */
  close(): void {
    this.listeners.clear();
    for (const u of this.unwatch) u();
    this.unwatch.length = 0;
    this.sets.clear();
    this.loading.clear();
  }

  private changed(service: string): void {
    const set = this.listeners.get(service);
    if (set !== undefined) for (const l of [...set]) l();
  }

  private async start(service: string): Promise<Instance[]> {
    // Watch first, so a change between resolve and watch is not missed.
    let latest: Instance[] | undefined;
    this.unwatch.push(
      this.registry.watch(service, (list) => {
        latest = list;
        if (this.sets.has(service)) {
          this.sets.set(service, list);
          this.changed(service);
        }
      }),
    );
    try {
      const resolved = await this.registry.resolve(service);
      const list = latest ?? resolved;
      this.sets.set(service, list);
      this.changed(service);
      return list;
    } finally {
      this.loading.delete(service);
    }
  }
}
