import type { Instance } from './instance';

/**
 * The seam to a service registry (in-process, static, etcd; Consul or Eureka by writing one).
 *
 * Contract:
 * - `register` and `deregister` are idempotent; `deregister` of an unknown instance resolves.
 * - `resolve` returns the complete current set of instances of a service (possibly empty).
 * - `watch` calls `cb` with the complete set every time it changes (never a delta), and returns
 *   an unsubscribe function. When the registry cannot be reached, it does not call `cb` with an
 *   empty list: watchers keep the last known set (treat it as stale, but you may keep using it).
 * - `close` releases connections and watches; a registry shared by several apps is closed by
 *   whoever created it.
 */
export interface Registry {
  register(instance: Instance): Promise<void>;
  deregister(instance: Instance): Promise<void>;
  resolve(service: string): Promise<Instance[]>;
  watch(service: string, cb: (instances: Instance[]) => void): () => void;
  close(): Promise<void>;
}
