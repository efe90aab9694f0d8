import type { Logger } from 'pino';
import type { Client } from '../client';
import { type Instance, instanceAddress, type Registry } from '../discovery';
import { RivetConfigError, RivetErrorCode } from '../errors';
import {
  type DashboardSnapshot,
  type EndpointRow,
  Gateway,
  HttpServer,
  type HttpTls,
  type MethodStats,
  type ProbeCheck,
  type RegistryRow,
  type ResolvedHttpOptions,
  Router,
  type TargetRow,
} from '../http';
import { PROMETHEUS_CONTENT_TYPE, type PrometheusMetrics } from '../observability';
import type { HealthState, Server } from '../server';
import type { TlsServerOptions } from '../transport';

/** What an app tells its HTTP surface about itself, read on every probe and snapshot. */
export interface AppState {
  /** The binary server's port once it listens and until the app closes; undefined otherwise. */
  port(): number | undefined;
  /** True once every service is registered, until deregistration at close. */
  registered(): boolean;
  /** True once close() began. */
  closing(): boolean;
}

/** The parts of an app the HTTP surface serves. */
export interface HttpSurfaceParts {
  options: ResolvedHttpOptions;
  tls: TlsServerOptions | undefined;
  logger: Logger;
  server: Server;
  client: Client;
  registry: Registry;
  health: HealthState;
  /** The app's own services (no `rivet.*`). */
  services: readonly string[];
  methodStats: MethodStats | undefined;
  prometheus: PrometheusMetrics | undefined;
  state: AppState;
}

// Endpoint rows of one (service, endpoint) seen through several proxies merge into one, showing
// the worst breaker: an open breaker on any proxy is what an operator needs to see.
const BREAKER_RANK = { closed: 0, halfOpen: 1, open: 2 } as const;

/**
 * An app's HTTP server and what it serves: the gateway into the app's server, the probes, the
 * Prometheus scrape and the dashboard's snapshots (client stats, registry, health).
 */
export class HttpSurface {
  private readonly http: HttpServer;
  private readonly watched = new Map<string, { instances: Instance[]; stop: () => void }>();
  private httpPort: number | undefined = undefined;

  constructor(private readonly parts: HttpSurfaceParts) {
    const o = parts.options;
    for (const name of o.gateway === false ? [] : (o.gateway.services ?? [])) {
      if (name.startsWith('rivet.')) {
        parts.logger.warn({ service: name }, `http.gateway.services names '${name}', which is internal to Rivet and never served over HTTP (use /readyz for health)`);
      } else if (!parts.services.includes(name)) {
        throw new RivetConfigError(
          RivetErrorCode.RIVET_ERR_INVALID_OPTION,
          `createApp options.http.gateway.services: this app does not serve '${name}'; it serves ${parts.services.join(', ') || 'no services'}.`,
        );
      }
    }
    const exposed = new Set(o.gateway === false ? [] : (o.gateway.services ?? parts.services));
    const gateway =
      o.gateway === false
        ? undefined
        : new Gateway(
            {
              // Internal services are never exposed, whatever the allowlist says.
              exposes: (service, method) => exposed.has(service) && !service.startsWith('rivet.') && parts.server.hasMethod(service, method),
              call: (call) => parts.server.callInProcess(call),
            },
            { maxBodyBytes: o.gateway.maxBodyBytes, bodyTimeoutMs: o.gateway.bodyTimeoutMs, logger: parts.logger },
          );
    const prometheus = parts.prometheus;
    const router = new Router({
      gateway,
      probes: o.health ? { readiness: () => this.readiness() } : undefined,
      metrics: prometheus === undefined ? undefined : { contentType: PROMETHEUS_CONTENT_TYPE, scrape: () => prometheus.scrape() },
      dashboard: o.dashboard ? { snapshot: () => this.snapshot() } : undefined,
      corsOrigins: o.cors === false ? undefined : o.cors.origins,
      logger: parts.logger,
    });
    const tls = parts.tls;
    const httpTls: HttpTls | undefined =
      tls === undefined ? undefined : { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert, minVersion: tls.minVersion };
    this.http = new HttpServer(router, httpTls, o.gateway === false ? 10_000 : o.gateway.bodyTimeoutMs);
  }

  /** The bound port, once started. */
  get port(): number | undefined {
    return this.httpPort;
  }

  /** Binds the HTTP server; resolves with its address. */
  async start(): Promise<{ host: string; port: number }> {
    const address = await this.http.start(this.parts.options.port, this.parts.options.host);
    this.httpPort = address.port;
    if (this.parts.options.dashboard) for (const s of this.parts.services) this.watch(s);
    this.parts.logger.info({ host: address.host, port: address.port }, 'http listening');
    return address;
  }

  /** Stops the HTTP server and the registry watches. Idempotent. */
  async stop(): Promise<void> {
    for (const w of this.watched.values()) w.stop();
    this.watched.clear();
    await this.http.stop();
  }

  /** `/readyz`: listening, registered, and every service SERVING. */
  private readiness(): ProbeCheck[] {
    const { state, health } = this.parts;
    const listening = state.port() !== undefined && !state.closing();
    const notServing = this.parts.services.filter((s) => health.status(s) !== 'SERVING');
    const draining = health.status() !== 'SERVING';
    return [
      listening ? { name: 'listening', ok: true } : { name: 'listening', ok: false, reason: state.closing() ? 'the app is shutting down' : 'app.listen() has not finished' },
      state.registered() ? { name: 'registered', ok: true } : { name: 'registered', ok: false, reason: 'not registered in the registry' },
      draining
        ? { name: 'health', ok: false, reason: 'draining' }
        : notServing.length > 0
          ? { name: 'health', ok: false, reason: `NOT_SERVING: ${notServing.join(', ')}` }
          : { name: 'health', ok: true },
    ];
  }

  private snapshot(): DashboardSnapshot {
    const { health, state, client } = this.parts;
    const byTarget = new Map<string, Map<string, EndpointRow>>();
    for (const { service, view: e, calls, failures } of client.endpointViews()) {
      let rows = byTarget.get(service);
      if (rows === undefined) {
        rows = new Map();
        byTarget.set(service, rows);
        this.watch(service);
      }
      const before = rows.get(e.address);
      rows.set(e.address, {
        endpoint: e.address,
        state: e.state,
        breaker: before !== undefined && BREAKER_RANK[before.breaker] > BREAKER_RANK[e.breaker] ? before.breaker : e.breaker,
        ejected: e.ejected || (before?.ejected ?? false),
        // The connection is shared by every proxy of the client: its in-flight count is counted once.
        inFlight: e.inFlight,
        latencyMs: Math.max(e.ewmaMs, before?.latencyMs ?? 0),
        calls: calls + (before?.calls ?? 0),
        failures: failures + (before?.failures ?? 0),
      });
    }
    const targets: TargetRow[] = [...byTarget].map(([service, rows]) => ({ service, endpoints: [...rows.values()] }));
    const registry: RegistryRow[] = [...this.watched].map(([service, w]) => ({
      service,
      instances: w.instances.map((i) => ({
        id: i.id,
        address: instanceAddress(i),
        ...(i.version === undefined ? {} : { version: i.version }),
        ...(i.zone === undefined ? {} : { zone: i.zone }),
      })),
    }));
    const ready = this.readiness().every((c) => c.ok);
    return {
      at: Date.now(),
      app: {
        health: health.status(),
        ready,
        services: this.parts.services.map((name) => ({ name, status: health.status(name) })),
        port: state.port() ?? null,
        httpPort: this.httpPort ?? null,
        load: dashboardLoad(this.parts.server.load()),
      },
      methods: this.parts.methodStats?.rows() ?? [],
      targets,
      registry,
    };
  }

  /** Keeps the registry's instances of `service` for the dashboard, from now until stop. */
  private watch(service: string): void {
    if (this.watched.has(service) || this.httpPort === undefined) return;
    const entry = { instances: [] as Instance[], stop: () => undefined as void };
    this.watched.set(service, entry);
    entry.stop = this.parts.registry.watch(service, (instances) => {
      entry.instances = instances;
    });
    this.parts.registry.resolve(service).then(
      (instances) => {
        entry.instances = instances;
      },
      (err: unknown) => this.parts.logger.debug({ service, err: (err as Error).message }, 'registry lookup for the dashboard failed'),
    );
  }
}

/** app.load() as the dashboard shows it: JSON has no Infinity, so no limit is null. */
function dashboardLoad(l: ReturnType<Server['load']>): NonNullable<DashboardSnapshot['app']['load']> {
  return { ...l, limit: Number.isFinite(l.limit) ? l.limit : null };
}
