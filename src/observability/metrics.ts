import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics as metricsApi,
  type ObservableResult,
  type UpDownCounter,
} from '@opentelemetry/api';
import type { CallContext } from '../call';
import { RivetConfigError, RivetErrorCode } from '../errors';
import type { Interceptor, Next } from '../interceptors';
import { optionsObject, rejectUnknownKeys } from '../util';
import {
  ATTR_RIVET_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  attemptOf,
  INSTRUMENTATION_SCOPE,
  RPC_SYSTEM,
  splitAddress,
  statusOf,
} from './semconv';
import { type AdmissionSource, type BreakerChange, type ConnectionSource, type ShedNotice, TELEMETRY_HOOKS, type TelemetryHooks } from './telemetry-hooks';

/** Options of {@link metrics}. */
export interface MetricsOptions {
  /** Where measurements go. Default: the global provider (`metrics.setGlobalMeterProvider`, which the OpenTelemetry Node SDK sets). */
  meterProvider?: MeterProvider;
}

/** The bucket boundaries of the duration histograms, in ms: the RPC conventions' advice, with sub-ms buckets for loopback. */
export const DURATION_BUCKETS_MS: readonly number[] = [0, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** The value `rivet.client.breaker.state` reports for each breaker state. */
export const BREAKER_STATE_VALUES: Readonly<Record<string, number>> = { closed: 0, halfOpen: 1, open: 2 };

/**
 * Validates metrics options; `name` prefixes error messages. Throws RivetConfigError.
 * @internal shared with telemetryInterceptors.
 */
export function checkMetricsOptions(input: unknown, name: string): MetricsOptions {
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, ['meterProvider']);
  const provider = o.meterProvider as Partial<MeterProvider> | undefined;
  if (provider !== undefined && (typeof provider !== 'object' || provider === null || typeof provider.getMeter !== 'function')) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.meterProvider must be an OpenTelemetry MeterProvider (with getMeter), e.g. new MeterProvider({ readers }).`);
  }
  return { meterProvider: o.meterProvider as MeterProvider | undefined };
}

/**
 * RPC metrics on the OpenTelemetry API, one interceptor for both sides:
 * - `rpc.client.duration`, `rpc.server.duration`: histograms in ms, per call (all attempts for a
 *   client), with `rpc.system`, `rpc.service`, `rpc.method`, `rpc.rivet.status_code`, and on the
 *   client `server.address`/`server.port` of the endpoint that answered last.
 * - `rivet.client.active_requests`, `rivet.server.active_requests`: calls in flight (UpDownCounter).
 * - `rivet.client.retries`: attempts after the first (retries and hedges), for methods that retry.
 * - `rivet.client.breaker.state` (0 closed, 1 half-open, 2 open, per `rpc.service` and
 *   `server.address`) and `rivet.client.breaker.transitions`: fed from the client's 'breaker'
 *   events when this interceptor is global on an app or client.
 * - `rivet.server.connections`: open connections of each app it is global on, by `server.port`.
 * - `rpc.server.shed`: calls the server's admission refused before they started, by `rpc.service`,
 *   `rpc.method`, `rivet.shed.reason` (DEADLINE, QUEUE_FULL, QUEUE_TIMEOUT) and `rpc.rivet.status_code`.
 * - `rivet.server.admission.limit`, `.concurrency`, `.queued`, `.queue_delay` (ms) and
 *   `rivet.server.event_loop.utilization`: gauges of each app it is global on, by `server.port`.
 * Instruments are made once, here. Throws RivetConfigError for bad options.
 */
export function metrics(opts?: MetricsOptions): Interceptor {
  return new MetricsInterceptor(checkMetricsOptions(opts, 'metrics options'), MS_DURATIONS);
}

/** True for an interceptor made by {@link metrics}. */
export function isMetricsInterceptor(value: unknown): boolean {
  return value instanceof MetricsInterceptor;
}

/** The names, unit and scale of the duration histograms. */
interface DurationFlavor {
  readonly client: string;
  readonly server: string;
  readonly unit: string;
  /** What one ms is in `unit`. */
  readonly perMs: number;
  /** Also count finished calls (`rivet.*.calls`), as Prometheus users expect a `_total` per method. */
  readonly callCounters: boolean;
}

const MS_DURATIONS: DurationFlavor = { client: 'rpc.client.duration', server: 'rpc.server.duration', unit: 'ms', perMs: 1, callCounters: false };

/**
 * The durations of the current OpenTelemetry RPC conventions (`rpc.*.call.duration`, seconds),
 * which Prometheus's base-unit rule asks for too.
 */
const SECONDS_DURATIONS: DurationFlavor = { client: 'rpc.client.call.duration', server: 'rpc.server.call.duration', unit: 's', perMs: 0.001, callCounters: true };

/**
 * The metrics interceptor with durations in seconds and call counters (`rivet.client.calls`,
 * `rivet.server.calls`), recording into `meterProvider`: the one behind an app's `/metrics`.
 * @internal used by prometheusMetrics.
 */
export function secondsMetrics(meterProvider: MeterProvider): Interceptor {
  return new MetricsInterceptor({ meterProvider }, SECONDS_DURATIONS);
}

class MetricsInterceptor implements Interceptor {
  private readonly clientDuration: Histogram;
  private readonly serverDuration: Histogram;
  private readonly clientActive: UpDownCounter;
  private readonly serverActive: UpDownCounter;
  private readonly retries: Counter;
  private readonly breakerTransitions: Counter;
  private readonly clientCalls: Counter | undefined;
  private readonly serverCalls: Counter | undefined;
  private readonly perMs: number;
  private readonly shed: Counter;
  private readonly admissionSources = new Set<AdmissionSource>();
  // (service, method) → the attributes every measurement of it starts from; bounded by the methods called.
  private readonly baseAttributes = new Map<string, Map<string, Attributes>>();
  private readonly breakers = new Map<string, { attributes: Attributes; value: number }>();
  private readonly connectionSources = new Set<ConnectionSource>();
  readonly [TELEMETRY_HOOKS]: TelemetryHooks;

  constructor(opts: MetricsOptions, durations: DurationFlavor) {
    const meter: Meter = (opts.meterProvider ?? metricsApi.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE);
    this.perMs = durations.perMs;
    const advice = { explicitBucketBoundaries: DURATION_BUCKETS_MS.map((b) => b * durations.perMs) };
    const unit = durations.unit;
    this.clientDuration = meter.createHistogram(durations.client, { unit, description: 'Duration of outbound RPCs, all attempts included.', advice });
    this.serverDuration = meter.createHistogram(durations.server, { unit, description: 'Duration of inbound RPCs.', advice });
    this.clientCalls = durations.callCounters ? meter.createCounter('rivet.client.calls', { unit: '{call}', description: 'Outbound RPCs finished, by status code.' }) : undefined;
    this.serverCalls = durations.callCounters ? meter.createCounter('rivet.server.calls', { unit: '{call}', description: 'Inbound RPCs finished, by status code.' }) : undefined;
    this.clientActive = meter.createUpDownCounter('rivet.client.active_requests', { unit: '{request}', description: 'Outbound RPCs in flight.' });
    this.serverActive = meter.createUpDownCounter('rivet.server.active_requests', { unit: '{request}', description: 'Inbound RPCs in flight.' });
    this.retries = meter.createCounter('rivet.client.retries', { unit: '{attempt}', description: 'Attempts after the first: retries and hedged attempts.' });
    this.breakerTransitions = meter.createCounter('rivet.client.breaker.transitions', { unit: '{transition}', description: 'Circuit breaker state changes.' });
    meter
      .createObservableGauge('rivet.client.breaker.state', { unit: '{state}', description: 'Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open.' })
      .addCallback((result) => this.observeBreakers(result));
    this.shed = meter.createCounter('rpc.server.shed', { unit: '{request}', description: 'Calls refused by admission before they started.' });
    const gauge = (name: string, unit: string, description: string, read: (s: AdmissionSource) => number): void => {
      meter.createObservableGauge(name, { unit, description }).addCallback((result) => {
        for (const source of this.admissionSources) result.observe(read(source), portAttributes(source.port()));
      });
    };
    gauge('rivet.server.admission.limit', '{request}', 'Concurrency limit of async handlers (adaptive unless fixed).', (s) => s.load().limit);
    gauge('rivet.server.admission.concurrency', '{request}', 'Handler calls running.', (s) => s.load().concurrency);
    gauge('rivet.server.admission.queued', '{request}', 'Calls waiting in the admission queue.', (s) => s.load().queued);
    gauge('rivet.server.admission.queue_delay', 'ms', 'Recent wait of calls before they started.', (s) => s.queueDelayMs());
    gauge('rivet.server.event_loop.utilization', '1', 'Event-loop utilization, 0 to 1.', (s) => s.load().eventLoopUtilization);
    meter
      .createObservableUpDownCounter('rivet.server.connections', { unit: '{connection}', description: 'Open server connections.' })
      .addCallback((result) => this.observeConnections(result));
    this[TELEMETRY_HOOKS] = {
      breakerChanged: (change) => this.breakerChanged(change),
      // A departed endpoint's gauge goes with it, so churn does not grow the gauge set.
      endpointRemoved: (e) => this.breakers.delete(`${e.service} ${e.endpoint}`),
      observeConnections: (source) => {
        this.connectionSources.add(source);
        return () => this.connectionSources.delete(source);
      },
      callShed: (n: ShedNotice) => {
        this.shed.add(1, { ...this.base(n.service, n.method), 'rivet.shed.reason': n.reason, [ATTR_RIVET_STATUS_CODE]: n.code });
      },
      observeAdmission: (source) => {
        this.admissionSources.add(source);
        return () => this.admissionSources.delete(source);
      },
    };
  }

  async intercept(ctx: CallContext, next: Next): Promise<unknown> {
    const client = ctx.side === 'client';
    const base = this.base(ctx.service, ctx.method);
    const active = client ? this.clientActive : this.serverActive;
    active.add(1, base);
    const started = performance.now();
    let code = 'OK';
    try {
      return await next();
    } catch (err) {
      code = statusOf(err);
      throw err;
    } finally {
      const duration = (performance.now() - started) * this.perMs;
      active.add(-1, base);
      if (client) {
        const attributes: Attributes = { ...base, [ATTR_RIVET_STATUS_CODE]: code };
        if (ctx.peer !== undefined) {
          const { host, port } = splitAddress(ctx.peer.address);
          attributes[ATTR_SERVER_ADDRESS] = host;
          if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
        }
        this.clientDuration.record(duration, attributes);
        this.clientCalls?.add(1, attributes);
      } else {
        const attributes: Attributes = { ...base, [ATTR_RIVET_STATUS_CODE]: code };
        this.serverDuration.record(duration, attributes);
        this.serverCalls?.add(1, attributes);
      }
    }
  }

  /** Counts the attempts after the first; runs below retry and hedge. */
  interceptAttempt(ctx: CallContext, next: Next): Promise<unknown> {
    if (attemptOf(ctx) > 1) this.retries.add(1, this.base(ctx.service, ctx.method));
    return next();
  }

  private base(service: string, method: string): Attributes {
    let byMethod = this.baseAttributes.get(service);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.baseAttributes.set(service, byMethod);
    }
    let attributes = byMethod.get(method);
    if (attributes === undefined) {
      attributes = Object.freeze({ [ATTR_RPC_SYSTEM]: RPC_SYSTEM, [ATTR_RPC_SERVICE]: service, [ATTR_RPC_METHOD]: method });
      byMethod.set(method, attributes);
    }
    return attributes;
  }

  private breakerChanged(change: BreakerChange): void {
    const { host, port } = splitAddress(change.endpoint);
    const attributes: Attributes = { [ATTR_RPC_SYSTEM]: RPC_SYSTEM, [ATTR_RPC_SERVICE]: change.service, [ATTR_SERVER_ADDRESS]: host };
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
    this.breakers.set(`${change.service} ${change.endpoint}`, { attributes, value: BREAKER_STATE_VALUES[change.state] ?? 0 });
    this.breakerTransitions.add(1, { ...attributes, 'rivet.breaker.state': change.state });
  }

  private observeBreakers(result: ObservableResult): void {
    for (const b of this.breakers.values()) result.observe(b.value, b.attributes);
  }

  private observeConnections(result: ObservableResult): void {
    for (const source of this.connectionSources) {
      const port = source.port();
      result.observe(source.count(), port === undefined ? { [ATTR_RPC_SYSTEM]: RPC_SYSTEM } : { [ATTR_RPC_SYSTEM]: RPC_SYSTEM, [ATTR_SERVER_PORT]: port });
    }
  }
}

function portAttributes(port: number | undefined): Attributes {
  return port === undefined ? { [ATTR_RPC_SYSTEM]: RPC_SYSTEM } : { [ATTR_RPC_SYSTEM]: RPC_SYSTEM, [ATTR_SERVER_PORT]: port };
}
