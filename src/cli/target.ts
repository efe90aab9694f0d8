import { readFileSync } from 'node:fs';
import { type Client, type ClientPolicy, createClient, EtcdRegistry, HEALTH_SERVICE, type Instance, type Registry } from '../index';
import { ErrorReason, RpcError } from '../errors';
import type { TlsClientOptions } from '../transport';
import { parseAddress } from '../util';
import { UsageError } from './exit-codes';
import type { Output } from './output';

/** The TARGET and TLS flags every command that talks to services takes. */
export interface TargetFlags {
  addr?: string[];
  etcd?: string[];
  prefix?: string;
  instance?: string;
  tls?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
  servername?: string;
  insecure?: boolean;
}

// The CLI reports what the server said: one attempt per call, no breaker or ejection that would
// turn a server's answer into a client-side refusal.
const CLI_POLICY: ClientPolicy = { retry: false, breaker: false, outlierDetection: false };
// How long the probe that finds which of several --addr serve a service may take.
const PROBE_TIMEOUT_MS = 2_000;

/** A registry over fixed addresses: `addressesOf` says which of them serve a service. */
class FixedAddressRegistry implements Registry {
  constructor(private readonly addressesOf: (service: string) => Promise<readonly string[]>) {}

  async register(): Promise<void> {}

  async deregister(): Promise<void> {}

  async resolve(service: string): Promise<Instance[]> {
    return (await this.addressesOf(service)).map((address) => {
      const { host, port } = parseAddress(address, '--addr');
      return { id: `cli:${service}:${address}`, service, host, port, weight: 1, metadata: {} };
    });
  }

  watch(): () => void {
    return () => {};
  }

  async close(): Promise<void> {}
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read the file: ${(err as Error).message}`);
  }
}

/** The client TLS options the flags ask for, or undefined for plain TCP. Warns about --insecure. */
function tlsOptions(f: TargetFlags, out: Output): TlsClientOptions | undefined {
  const any = f.tls === true || f.cacert !== undefined || f.cert !== undefined || f.key !== undefined || f.servername !== undefined || f.insecure === true;
  if (!any) return undefined;
  if ((f.cert === undefined) !== (f.key === undefined)) throw new UsageError('--cert and --key go together: give both for mutual TLS, or neither');
  const tls: TlsClientOptions = {};
  if (f.cacert !== undefined) tls.ca = readPem('--cacert', f.cacert);
  if (f.cert !== undefined) tls.cert = readPem('--cert', f.cert);
  if (f.key !== undefined) tls.key = readPem('--key', f.key);
  if (f.servername !== undefined) tls.servername = f.servername;
  if (f.insecure === true) {
    tls.rejectUnauthorized = false;
    out.warn('--insecure: the server certificate is not verified; anyone on the path can read and change these calls');
  }
  return tls;
}

/**
 * Where the services are (fixed addresses or etcd), and the clients that reach them. Calls to
 * a service go through one client that resolves it as the framework does; calls to the built-in
 * `rivet.*` services go to one chosen address each, since those are served by every app and
 * registered by none. Close it when done.
 */
export class Target {
  private readonly tls: TlsClientOptions | undefined;
  private readonly etcd: EtcdRegistry | undefined;
  private readonly fixed: readonly string[];
  private readonly pinned: string | undefined;
  private callClient: Client | undefined;
  private readonly perAddress = new Map<string, Client>();
  private readonly served = new Map<string, Promise<string[]>>();

  /**
   * Throws UsageError for flags that do not make a target. `metadata` goes with the probes that
   * find which fixed address serves what (a bearer token, say).
   */
  constructor(
    flags: TargetFlags,
    out: Output,
    private readonly metadata: Record<string, string> = {},
  ) {
    // Comma-separated lists too, so RIVET_ADDR can name several addresses.
    const addrs = (flags.addr ?? []).flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
    const etcd = flags.etcd ?? [];
    if (addrs.length > 0 && etcd.length > 0) throw new UsageError('give either --addr or --etcd, not both');
    if (addrs.length === 0 && etcd.length === 0 && flags.instance === undefined) {
      throw new UsageError('no target: give --addr host:port (or set RIVET_ADDR), or --etcd http://127.0.0.1:2379');
    }
    if (flags.prefix !== undefined && etcd.length === 0) throw new UsageError('--prefix goes with --etcd');
    for (const a of [...addrs, ...(flags.instance === undefined ? [] : [flags.instance])]) checkAddress(a);
    this.fixed = addrs;
    this.pinned = flags.instance;
    this.tls = tlsOptions(flags, out);
    this.etcd =
      etcd.length === 0
        ? undefined
        : new EtcdRegistry({ endpoints: etcd.flatMap((e) => e.split(',')).filter((e) => e !== ''), ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }) });
  }

  /** True when instances come from etcd. */
  get usesRegistry(): boolean {
    return this.etcd !== undefined && this.pinned === undefined;
  }

  /** The client for calls to user services: pinned to `--instance`, or resolving as the framework does. */
  client(): Client {
    if (this.callClient === undefined) {
      const registry: Registry = this.etcd !== undefined && this.pinned === undefined ? this.etcd : new FixedAddressRegistry((service) => this.addressesOf(service));
      this.callClient = createClient({ registry, tls: this.tls, logger: false, policy: CLI_POLICY });
    }
    return this.callClient;
  }

  /** A client whose every call goes to `address` (for rivet.Reflection and rivet.Health). */
  at(address: string): Client {
    let c = this.perAddress.get(address);
    if (c === undefined) {
      c = createClient({ registry: new FixedAddressRegistry(async () => [address]), tls: this.tls, logger: false, policy: CLI_POLICY });
      this.perAddress.set(address, c);
    }
    return c;
  }

  /** The services etcd lists, with their instances' addresses; undefined for fixed addresses. */
  async registered(): Promise<Map<string, string[]> | undefined> {
    if (!this.usesRegistry || this.etcd === undefined) return undefined;
    const out = new Map<string, string[]>();
    for (const service of await this.etcd.services()) out.set(service, await this.addressesOf(service));
    return out;
  }

  /**
   * Addresses serving `service`: the pinned one; its instances in etcd; the one fixed address; or
   * those of several fixed addresses whose `rivet.Health` knows the service (when none does, those
   * that did not answer the probe, so the call says what is wrong with them).
   */
  async addressesOf(service: string): Promise<string[]> {
    if (this.pinned !== undefined) return [this.pinned];
    if (this.etcd !== undefined) {
      const instances = await this.etcd.resolve(service);
      return [...new Set(instances.map((i) => formatHostPort(i.host, i.port)))].sort();
    }
    if (this.fixed.length <= 1) return [...this.fixed];
    let found = this.served.get(service);
    if (found === undefined) {
      found = Promise.all(
        this.fixed.map((address) =>
          this.at(address)
            .invoke(HEALTH_SERVICE, 'check', [service], { metadata: this.metadata, timeoutMs: PROBE_TIMEOUT_MS })
            .then(
              (r) => ((r as { status?: string } | undefined)?.status === 'UNKNOWN' ? 'no' : 'yes'),
              () => 'unknown',
            ),
        ),
      ).then((serves) => {
        // Addresses known to serve it win; failing that, those that did not answer, so that the
        // call fails with what is wrong with them.
        const yes = this.fixed.filter((_, i) => serves[i] === 'yes');
        return yes.length > 0 ? yes : this.fixed.filter((_, i) => serves[i] === 'unknown');
      });
      this.served.set(service, found);
    }
    return [...(await found)];
  }

  /** Every address to ask about everything: the pinned one, the fixed ones, or every instance in etcd. */
  async allAddresses(): Promise<string[]> {
    const registered = await this.registered();
    if (registered === undefined) return this.pinned !== undefined ? [this.pinned] : [...this.fixed];
    return [...new Set([...registered.values()].flat())].sort();
  }

  /** The UNIMPLEMENTED error for a service no instance or address serves, as the server would answer. */
  unknownService(service: string): RpcError {
    const where = this.usesRegistry ? `no instance of "${service}" is registered` : `no address given serves "${service}"`;
    return new RpcError('UNIMPLEMENTED', where, { reason: ErrorReason.UNKNOWN_METHOD, service });
  }

  /** Closes every client and the etcd connection. */
  async close(): Promise<void> {
    await Promise.all([this.callClient?.close(), ...[...this.perAddress.values()].map((c) => c.close())]);
    await this.etcd?.close();
  }
}

function checkAddress(address: string): void {
  try {
    parseAddress(address, 'address');
  } catch {
    throw new UsageError(`address must be host:port (e.g. 127.0.0.1:4000), got ${JSON.stringify(address)}`);
  }
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
