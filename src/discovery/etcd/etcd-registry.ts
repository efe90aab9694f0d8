import type { Etcd3, IKeyValue, Lease, Watcher } from 'etcd3';
import { RivetConfigError, RivetErrorCode, RpcError } from '../../errors';
import { jitteredBackoffMs, nonEmptyString } from '../../util';
import type { Instance } from '../instance';
import type { Registry } from '../registry';
import { loadEtcd3 } from './load-etcd3';
import { type EtcdRegistryOptions, invalid, isObject, isRecoverable, type RegistryLog, type ResolvedEtcdOptions, resolveEtcdOptions } from './etcd-options';

const CLOSE_TIMEOUT_MS = 1_000;
// Re-registration and watch re-sync after an outage: capped so that registrations come back
// within about two seconds of etcd being reachable again.
const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 2_000;

type Listener = (instances: Instance[]) => void;

/** One etcd watcher per watched service, shared by all its listeners. */
interface ServiceWatch {
  readonly service: string;
  readonly keyPrefix: string;
  readonly listeners: Set<Listener>;
  /** key → raw JSON and the parsed instance, for the valid values under `keyPrefix`. */
  entries: Map<string, { raw: string; instance: Instance }>;
  /** Revision of the last snapshot applied; watch events at or below it are already in `entries`. */
  snapshotRevision: number;
  /** Highest revision of an event applied; an older snapshot must not roll it back. */
  eventRevision: number;
  /** The set last given to listeners; null until the first snapshot. */
  published: Instance[] | null;
  signature: string;
  watcher: Watcher | null;
  disconnected: boolean;
  retryTimer: NodeJS.Timeout | null;
  attempt: number;
}

/**
 * A {@link Registry} on etcd v3. Each registered instance is the key `<prefix>/<service>/<id>`
 * holding the instance as JSON, attached to one lease per registry that the etcd3 client keeps
 * alive (the heartbeat): a crashed server disappears within `ttlSeconds`. Watches follow an
 * etcd watch, not polling. While etcd is unreachable, watchers keep their last set and the
 * outage is logged once; when it returns, watches re-sync and lost registrations are written
 * again on a new lease.
 *
 * Throws RivetConfigError at construction for bad options. `register`, `deregister` and
 * `resolve` reject with an `UNAVAILABLE` RpcError when etcd cannot be reached.
 */
export class EtcdRegistry implements Registry {
  private etcd: Etcd3 | null = null;
  private readonly clientOptions: ResolvedEtcdOptions['clientOptions'];
  private readonly hosts: string;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly log: RegistryLog;
  /** key → JSON of every instance this registry registered, so it can write them again. */
  private readonly registered = new Map<string, string>();
  private readonly watches = new Map<string, ServiceWatch>();
  private readonly pendingCancels = new Set<Promise<void>>();
  private readonly malformedKeys = new Set<string>();
  private lease: Lease | null = null;
  /** Whether etcd granted `lease`; losing one it never granted is the failed call's business. */
  private leaseGranted = false;
  private recovering = false;
  private recoveryTimer: NodeJS.Timeout | null = null;
  private recoveryAttempt = 0;
  private reachable = true;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(options: EtcdRegistryOptions) {
    const o = resolveEtcdOptions(options);
    this.prefix = o.prefix;
    this.ttlSeconds = o.ttlSeconds;
    this.log = o.log;
    this.clientOptions = o.clientOptions;
    this.hosts = ([] as string[]).concat(o.clientOptions.hosts ?? []).join(', ');
  }

  /**
   * The etcd3 client, made on first use. It holds gRPC channels that reconnect with timers of
   * their own, so a registry that failed and holds nothing (no registration, no watch) drops it
   * again (see releaseIfIdle): a failed `app.listen()` must not keep the process alive.
   */
  private get client(): Etcd3 {
    this.etcd ??= new (loadEtcd3().Etcd3)(this.clientOptions);
    return this.etcd;
  }


  /**
   * Writes the instance under the lease. Rejects with RivetConfigError when the instance could
   * not be read back (no host or port, say), and with UNAVAILABLE (keeping nothing) when etcd
   * cannot be reached.
   */
  async register(instance: Instance): Promise<void> {
    this.assertOpen();
    const key = this.keyOf(instance.service, instance.id);
    const value = JSON.stringify(instance);
    if (!parseInstance(value, instance.service)) {
      throw invalid(`cannot register ${key}: an Instance needs a non-empty host and a port from 1 to 65535.`);
    }
    this.registered.set(key, value);
    try {
      await this.currentLease().put(key).value(value);
    } catch (err) {
      if (this.registered.get(key) === value) this.registered.delete(key);
      const e = this.unavailable(`could not register ${key} in etcd at ${this.hosts}`, err, 'check that etcd is running and reachable there, then register again');
      this.releaseIfIdle();
      throw e;
    }
  }

  /** Deletes the instance's key; resolves when it was not registered. Rejects with UNAVAILABLE when etcd cannot be reached. */
  async deregister(instance: Instance): Promise<void> {
    if (this.closed) return; // close() revoked the lease, and with it every key
    const key = this.keyOf(instance.service, instance.id);
    this.registered.delete(key);
    try {
      await this.client.delete().key(key);
    } catch (err) {
      throw this.unavailable(`could not deregister ${key} from etcd`, err);
    }
  }

  /** Reads every instance of `service`, skipping malformed values. Rejects with UNAVAILABLE when etcd cannot be reached. */
  async resolve(service: string): Promise<Instance[]> {
    this.assertOpen();
    const keyPrefix = this.servicePrefix(service);
    try {
      const snapshot = await this.fetch(service, keyPrefix);
      return sortedInstances(snapshot.entries);
    } catch (err) {
      const e = this.unavailable(`could not read "${service}" from etcd at ${this.hosts}`, err);
      this.releaseIfIdle();
      throw e;
    }
  }

  /**
   * The names of the services with at least one key under the prefix, sorted (what `rivet ls
   * --etcd` lists). Rejects with UNAVAILABLE when etcd cannot be reached.
   */
  async services(): Promise<string[]> {
    this.assertOpen();
    const root = `${this.prefix}/`;
    let keys: string[];
    try {
      keys = await this.client.getAll().prefix(root).keys();
      this.markReachable();
    } catch (err) {
      throw this.unavailable('could not list services in etcd', err);
    }
    const names = new Set<string>();
    for (const key of keys) {
      const rest = key.slice(root.length);
      const slash = rest.indexOf('/');
      if (slash > 0 && slash < rest.length - 1) names.add(rest.slice(0, slash));
    }
    return [...names].sort();
  }

  /**
   * Calls `cb` with the complete set of `service` once it is known, then on every change. During
   * an outage `cb` is not called (the last set stands). Throws RivetConfigError after close().
   */
  watch(service: string, cb: (instances: Instance[]) => void): () => void {
    this.assertOpen();
    let sw = this.watches.get(service);
    if (!sw) {
      sw = newServiceWatch(service, this.servicePrefix(service));
      this.watches.set(service, sw);
      void this.syncWatch(sw);
    } else if (sw.published) {
      // A late listener gets the current set too, but never synchronously inside watch().
      const joined = sw;
      queueMicrotask(() => {
        if (joined.published && joined.listeners.has(cb)) this.call(cb, joined.published);
      });
    }
    sw.listeners.add(cb);
    const owner = sw;
    return () => {
      if (owner.listeners.delete(cb) && owner.listeners.size === 0) this.stopWatch(owner);
    };
  }

  /** Revokes the lease (at most ~1 s), cancels watches and closes the client. Idempotent; never rejects. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true; // before shutdown() runs, so no callback it triggers acts on a live state
      this.closing = this.shutdown();
    }
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    for (const sw of [...this.watches.values()]) this.stopWatch(sw);
    const lease = this.lease;
    this.lease = null;
    this.registered.clear();
    const pending = [...this.pendingCancels];
    if (lease) pending.push(lease.revoke({ deadline: Date.now() + CLOSE_TIMEOUT_MS }));
    await settleWithin(pending, CLOSE_TIMEOUT_MS);
    this.etcd?.close();
    this.etcd = null;
  }

  /**
   * After a failed call, with nothing registered and nothing watched: lets the lease go and closes
   * the etcd3 client, so no socket, lease keepalive or reconnect timer is left behind even if
   * close() is never called. The next call makes a new client.
   */
  private releaseIfIdle(): void {
    if (this.closed || this.registered.size > 0 || this.watches.size > 0 || this.pendingCancels.size > 0 || this.recovering) return;
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = null;
    const lease = this.lease;
    this.lease = null;
    this.leaseGranted = false;
    lease?.release();
    this.etcd?.close();
    this.etcd = null;
  }

  // --- registrations and the lease -------------------------------------------------------

  private currentLease(): Lease {
    if (this.lease) return this.lease;
    const lease = this.client.lease(this.ttlSeconds);
    this.lease = lease;
    this.leaseGranted = false;
    lease.grant().then(
      () => {
        if (lease === this.lease) this.leaseGranted = true;
      },
      () => undefined, // reported through 'lost' and the put that awaited the grant
    );
    lease.on('lost', (err) => this.onLeaseLost(lease, err));
    lease.on('keepaliveFailed', (err) => lease === this.lease && this.markUnreachable(err));
    lease.on('keepaliveSucceeded', () => lease === this.lease && this.markReachable());
    return lease;
  }

  // etcd3 fires 'lost' when etcd says the lease expired, or when keepalives failed for 2 × TTL.
  // Either way the keys are gone or about to go: write them again on a new lease.
  private onLeaseLost(lease: Lease, err: unknown): void {
    if (lease !== this.lease || this.closed) return;
    this.lease = null;
    // A grant that failed is handled by its caller: register() rejects, recover() retries.
    // With nothing registered, the next register() grants a new lease.
    if (!this.leaseGranted || this.registered.size === 0) return;
    if (!this.recovering) {
      this.recovering = true;
      this.log.warn({ err, instances: this.registered.size }, 'etcd lease lost: registering again on a new lease');
    }
    this.scheduleRecovery();
  }

  private scheduleRecovery(): void {
    if (this.recoveryTimer || this.closed) return;
    const delayMs = jitteredBackoffMs(this.recoveryAttempt++, RETRY_INITIAL_MS, RETRY_MAX_MS);
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = null;
      void this.recover();
    }, delayMs);
    this.recoveryTimer.unref();
  }

  private async recover(): Promise<void> {
    if (this.closed) return;
    if (this.registered.size === 0) {
      // Everything was deregistered meanwhile (or a failed register() took its instance back).
      this.recovering = false;
      this.recoveryAttempt = 0;
      return;
    }
    const lease = this.currentLease();
    try {
      await lease.grant();
      for (const [key, value] of [...this.registered]) {
        // Skip what was deregistered or replaced while we awaited.
        if (lease !== this.lease || this.registered.get(key) !== value) continue;
        await lease.put(key).value(value);
      }
      if (lease !== this.lease) return; // lost again meanwhile; that loss scheduled another round
      this.recovering = false;
      this.recoveryAttempt = 0;
      this.markReachable();
      this.log.info({ instances: this.registered.size }, 'etcd registrations restored on a new lease');
    } catch (err) {
      if (this.closed) return;
      this.markUnreachable(err);
      this.scheduleRecovery();
    }
  }

  // --- watches -------------------------------------------------------------------------------

  // Reads a snapshot, publishes it, and (the first time) starts the etcd watch at the next
  // revision, so that no change between the read and the watch is missed. Also the re-sync
  // after a watch reconnects, and the retry loop while etcd is down.
  private async syncWatch(sw: ServiceWatch): Promise<void> {
    if (this.watches.get(sw.service) !== sw) return;
    try {
      const snapshot = await this.fetch(sw.service, sw.keyPrefix);
      if (this.watches.get(sw.service) !== sw) return;
      sw.attempt = 0;
      if (snapshot.revision >= sw.eventRevision) {
        sw.entries = snapshot.entries;
        sw.snapshotRevision = snapshot.revision;
        this.publish(sw);
      }
      if (!sw.watcher) this.openWatcher(sw, snapshot.revision + 1);
    } catch (err) {
      if (this.watches.get(sw.service) !== sw) return;
      this.markUnreachable(err);
      if (sw.retryTimer) return;
      sw.retryTimer = setTimeout(() => {
        sw.retryTimer = null;
        void this.syncWatch(sw);
      }, jitteredBackoffMs(sw.attempt++, RETRY_INITIAL_MS, RETRY_MAX_MS));
      sw.retryTimer.unref();
    }
  }

  private openWatcher(sw: ServiceWatch, startRevision: number): void {
    // watcher() attaches at once and returns synchronously; create() would only resolve once
    // etcd acknowledged, leaving nothing to cancel if we close during an outage.
    const w = this.client.watch().prefix(sw.keyPrefix).startRevision(String(startRevision)).watcher();
    sw.watcher = w;
    w.on('put', (kv) => sw.watcher === w && this.applyEvent(sw, kv, true));
    w.on('delete', (kv) => sw.watcher === w && this.applyEvent(sw, kv, false));
    w.on('disconnected', (err) => {
      if (sw.watcher !== w) return;
      sw.disconnected = true;
      this.markUnreachable(err);
    });
    w.on('connected', () => {
      if (sw.watcher !== w || !sw.disconnected) return;
      sw.disconnected = false;
      this.markReachable();
      void this.syncWatch(sw); // reconcile: the replay may have missed a compacted range
    });
    // etcd cancelled the watch itself (e.g. its start revision was compacted away): start over
    // from a fresh snapshot. etcd3 has already detached this watcher.
    w.on('error', (err) => {
      if (sw.watcher !== w) return;
      sw.watcher = null;
      this.log.warn({ err, service: sw.service }, 'etcd cancelled a watch: re-reading the service');
      void this.syncWatch(sw);
    });
  }

  private applyEvent(sw: ServiceWatch, kv: IKeyValue, isPut: boolean): void {
    const revision = Number(kv.mod_revision);
    if (revision <= sw.snapshotRevision) return; // already in the snapshot
    sw.eventRevision = Math.max(sw.eventRevision, revision);
    const key = kv.key.toString();
    const instance = isPut ? this.parse(key, kv.value.toString(), sw.service) : null;
    if (instance) sw.entries.set(key, { raw: kv.value.toString(), instance });
    else sw.entries.delete(key);
    if (!isPut) this.malformedKeys.delete(key);
    this.publish(sw);
  }

  // Calls listeners only when the set really changed: a re-sync or re-registration that writes
  // the same values is not news.
  private publish(sw: ServiceWatch): void {
    const signature = [...sw.entries.keys()].sort().map((k) => `${k}\n${sw.entries.get(k)?.raw}`).join('\n');
    if (sw.published && signature === sw.signature) return;
    sw.signature = signature;
    const list = sortedInstances(sw.entries);
    sw.published = list;
    for (const cb of [...sw.listeners]) this.call(cb, list);
  }

  // A throwing listener must not break the others, nor reach etcd3, which rethrows it in a
  // setImmediate and so crashes the process.
  private call(cb: Listener, list: Instance[]): void {
    try {
      cb(list);
    } catch (err) {
      this.log.warn({ err }, 'registry watch listener threw');
    }
  }

  private stopWatch(sw: ServiceWatch): void {
    if (this.watches.get(sw.service) === sw) this.watches.delete(sw.service);
    sw.listeners.clear();
    if (sw.retryTimer) clearTimeout(sw.retryTimer);
    sw.retryTimer = null;
    const w = sw.watcher;
    sw.watcher = null;
    if (!w) return;
    const cancelled: Promise<void> = w.cancel().catch(() => undefined);
    this.pendingCancels.add(cancelled);
    void cancelled.then(() => this.pendingCancels.delete(cancelled));
  }

  // --- reading -------------------------------------------------------------------------------

  private async fetch(service: string, keyPrefix: string): Promise<{ revision: number; entries: ServiceWatch['entries'] }> {
    let res;
    try {
      res = await this.client.getAll().prefix(keyPrefix).exec();
    } catch (err) {
      this.markUnreachable(err);
      throw err;
    }
    this.markReachable();
    const entries: ServiceWatch['entries'] = new Map();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      const raw = kv.value.toString();
      const instance = this.parse(key, raw, service);
      if (instance) entries.set(key, { raw, instance });
    }
    return { revision: Number(res.header.revision), entries };
  }

  // Another writer (or an older Rivet) may have put something we cannot route to: skip it,
  // and warn once per key rather than on every read.
  private parse(key: string, raw: string, service: string): Instance | null {
    const instance = parseInstance(raw, service);
    if (instance) {
      this.malformedKeys.delete(key);
    } else if (!this.malformedKeys.has(key)) {
      this.malformedKeys.add(key);
      this.log.warn({ key }, 'skipping malformed instance in etcd');
    }
    return instance;
  }

  // --- small helpers ---------------------------------------------------------------------------

  private markUnreachable(err: unknown): void {
    if (!this.reachable || this.closed) return;
    this.reachable = false;
    this.log.warn(
      { err },
      'etcd unreachable: watchers keep their last instances; registrations are restored when it returns',
    );
  }

  private markReachable(): void {
    if (this.reachable || this.closed) return;
    this.reachable = true;
    this.log.info('etcd reachable again');
  }

  private unavailable(message: string, err: unknown, fix?: string): RpcError {
    if (isRecoverable(err)) this.markUnreachable(err);
    return new RpcError('UNAVAILABLE', `${message}: ${errorText(err)}${fix === undefined ? '' : `; ${fix}`}`, undefined, { cause: err });
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_STATE, 'EtcdRegistry was used after close(). Create a new EtcdRegistry.');
    }
  }

  private servicePrefix(service: unknown): string {
    if (typeof service !== 'string' || service.length === 0 || service.includes('/')) {
      throw new RivetConfigError(
        RivetErrorCode.RIVET_ERR_INVALID_OPTION,
        `service name must be a non-empty string without '/', got ${JSON.stringify(service)}: ` +
          "keys are <prefix>/<service>/<id>, so a '/' would let one service's keys appear under another.",
      );
    }
    return `${this.prefix}/${service}/`;
  }

  private keyOf(service: unknown, id: unknown): string {
    return this.servicePrefix(service) + nonEmptyString('Instance.id', id);
  }
}

function newServiceWatch(service: string, keyPrefix: string): ServiceWatch {
  return {
    service,
    keyPrefix,
    listeners: new Set(),
    entries: new Map(),
    snapshotRevision: 0,
    eventRevision: 0,
    published: null,
    signature: '',
    watcher: null,
    disconnected: false,
    retryTimer: null,
    attempt: 0,
  };
}

function sortedInstances(entries: ServiceWatch['entries']): Instance[] {
  return [...entries.keys()].sort().map((k) => entries.get(k)!.instance);
}


/** Parses one etcd value into an Instance of `service`, or null when it is not one. */
function parseInstance(raw: string, service: string): Instance | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObject(v) || v.service !== service || typeof v.id !== 'string' || v.id === '') return null;
  if (typeof v.host !== 'string' || v.host === '' || !Number.isInteger(v.port)) return null;
  const port = v.port as number;
  if (port < 1 || port > 65_535) return null;
  const metadata: Record<string, string> = {};
  if (isObject(v.metadata)) {
    for (const [k, m] of Object.entries(v.metadata)) if (typeof m === 'string') metadata[k] = m;
  }
  const instance: Instance = {
    id: v.id,
    service,
    host: v.host,
    port,
    weight: typeof v.weight === 'number' && Number.isFinite(v.weight) && v.weight >= 0 ? v.weight : 1,
    metadata,
  };
  if (typeof v.version === 'string') instance.version = v.version;
  if (typeof v.zone === 'string') instance.zone = v.zone;
  return instance;
}


function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Waits for every promise to settle, or `ms`, whichever comes first; never rejects. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}
