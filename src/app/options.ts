import type { Container } from 'inversify';
import type { Logger } from 'pino';

import { type AdmissionOptions, type ResolvedAdmission, resolveAdmission } from '../admission';
import { checkInterceptor, type InterceptorLike } from '../interceptors';
import type { Registry } from '../discovery';
import { isMetricsInterceptor, telemetryInterceptors, type TelemetryOptions } from '../observability';
import { type HttpOptions, resolveHttpOptions, type ResolvedHttpOptions } from '../http';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { CODEC_NAMES, type CodecName, DEFAULT_MAX_FRAME_BYTES } from '../protocol';
import type { ServerLimits } from '../server';
import type { TlsClientOptions, TlsServerOptions } from '../transport';
import { bool, durationMs, nonEmptyString, nonNegativeInt, oneOf, optionsObject, positiveInt, rejectUnknownKeys, stringRecord } from '../util';
import type { LoggerInput } from './logger';
import { checkClientPolicy, type ClientPolicy } from '../client';
import { resolveStreamWindow, type ResolvedStreamWindow, type StreamWindow } from '../stream';
import { checkManifest, type ContractManifest } from '../manifest';

/** How long a client waits for connect plus handshake by default: 5 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Options shared by createApp and createClient. */
export interface CommonOptions {
  /** Where instances are found. Default: the in-process registry shared by this process. */
  registry?: Registry;
  /** The codec to speak. Default 'msgpack'. */
  codec?: CodecName;
  /** Global interceptors, outermost. */
  interceptors?: InterceptorLike[];
  /**
   * Tracing, metrics and an access log for every call (OpenTelemetry API, the global providers
   * unless given): `true` for all three, or `{ tracing, metrics, accessLog }` each `true`, `false`
   * or its options. They run outside `interceptors`. Default off.
   */
  telemetry?: boolean | TelemetryOptions;
  /** A pino logger, pino options, or false for silence. Default: pino at 'info'. */
  logger?: LoggerInput;
  /** The largest frame payload accepted, in bytes. Default 16 MiB. */
  maxFrameBytes?: number;
  /** How long connect plus handshake may take, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** The default client policy of every proxy, the least specific layer (decorators and proxy policies override it). */
  policy?: ClientPolicy;
  /** Pings on connections quiet for `intervalMs` (default 10000); no answer in `timeoutMs` (default 5000) closes them. `false` turns pings off. */
  keepalive?: { intervalMs?: number; timeoutMs?: number } | false;
  /**
   * Streams this side serves and calls: `window` is the flow-control window each stream grants its
   * peer, in messages and bytes (default 32 messages / 1 MiB; docs/streaming.md). A call's
   * `CallOptions.window` overrides it for what that caller receives.
   */
  streams?: StreamOptions;
}

/** Stream settings of an app or client. */
export interface StreamOptions {
  /** The window each stream grants its peer. Default `{ messages: 32, bytes: 1048576 }`. */
  window?: StreamWindow;
}

/** Options of createApp. */
export interface AppOptions extends CommonOptions {
  /** The service classes to serve. Default: every `@Service` class imported so far. */
  services?: Function[];
  /** Directories or globs of modules to import before collecting services. */
  scan?: string | string[];
  /** Bring your own inversify container. */
  container?: Container;
  /** Send handler stack traces to callers in `details.stack` (off by default: they leak internals). */
  exposeErrorStack?: boolean;
  /** Serve over TLS (mTLS with `requestCert: true`). */
  tls?: TlsServerOptions;
  /** TLS settings of the app's own client, for the services it calls. */
  clientTls?: TlsClientOptions;
  /** Connection limits; each is off unless set. */
  limits?: ServerLimits;
  /** What the registry is told about this app's instances. Default: the bound host and port, weight 1. */
  advertise?: AdvertiseOptions;
  /**
   * List every service and method with its facts (idempotent, timeout) in the handshake, which any
   * peer reads before it authenticates. Default true; `false` lists none (docs/security.md).
   */
  advertiseMethods?: boolean;
  /** Serve the built-in `rivet.Reflection` service (through the global interceptors). Default true. */
  reflection?: boolean;
  /** The app's contract manifest (what `rivet manifest` writes): `rivet.Reflection` adds its parameter names, types and deprecations. */
  contract?: ContractManifest;
  /** Serve HTTP too: the JSON gateway, `/livez` and `/readyz`, `/metrics`, the dashboard. Default: no HTTP server. */
  http?: HttpOptions;
  /**
   * Overload protection (docs/overload.md): deadline-aware admission, a bounded queue with CoDel
   * and adaptive LIFO, an adaptive limit on async handlers, load reports. On by default; `false`
   * runs every request as it arrives. A shed call answers RESOURCE_EXHAUSTED with
   * `details.reason` 'OVERLOADED', `details.retryAfterMs` and the not-processed flag.
   */
  admission?: false | AdmissionOptions;
}

/** What an app registers about itself. */
export interface AdvertiseOptions {
  /** The host clients dial (e.g. the pod IP when bound to 0.0.0.0). */
  host: string;
  /** The port clients dial, when it differs from the bound one (port mapping). */
  port?: number;
  /** Relative share of traffic for weighted balancing. Default 1. */
  weight?: number;
  zone?: string;
  metadata?: Record<string, string>;
}

/** Options of createClient. */
export interface ClientOptions extends CommonOptions {
  /** Fixed endpoints per service (`{ Arith: ['127.0.0.1:4000'] }`); an alternative to `registry`. */
  endpoints?: Record<string, string[]>;
  /** A container to resolve interceptor classes with. */
  container?: Container;
  /** Call servers over TLS. */
  tls?: TlsClientOptions;
}

const COMMON_KEYS = ['registry', 'codec', 'interceptors', 'telemetry', 'logger', 'maxFrameBytes', 'connectTimeoutMs', 'policy', 'keepalive', 'streams'] as const;
const APP_KEYS = [...COMMON_KEYS, 'services', 'scan', 'container', 'exposeErrorStack', 'tls', 'clientTls', 'limits', 'advertise', 'advertiseMethods', 'reflection', 'contract', 'http', 'admission'] as const;
const CLIENT_KEYS = [...COMMON_KEYS, 'endpoints', 'container', 'tls'] as const;

/** Common options, validated. */
export interface ResolvedCommon {
  registry: Registry | undefined;
  codec: CodecName;
  /** The global interceptors: the telemetry ones first, then the user's. */
  interceptors: InterceptorLike[];
  logger: LoggerInput;
  maxFrameBytes: number;
  connectTimeoutMs: number;
  policy: ClientPolicy;
  keepalive: { intervalMs: number; timeoutMs: number } | false;
  /** The stream window, validated and filled with defaults. */
  streamWindow: ResolvedStreamWindow;
}

/** Default keepalive: a ping after 10 s of quiet, 5 s to answer it. */
export const DEFAULT_KEEPALIVE = Object.freeze({ intervalMs: 10_000, timeoutMs: 5_000 });

function resolveKeepalive(name: string, value: unknown): { intervalMs: number; timeoutMs: number } | false {
  if (value === false) return false;
  const k = optionsObject(name, value);
  rejectUnknownKeys(name, k, ['intervalMs', 'timeoutMs']);
  return {
    intervalMs: k.intervalMs === undefined ? DEFAULT_KEEPALIVE.intervalMs : durationMs(`${name}.intervalMs`, k.intervalMs, DEFAULT_KEEPALIVE.intervalMs),
    timeoutMs: k.timeoutMs === undefined ? DEFAULT_KEEPALIVE.timeoutMs : durationMs(`${name}.timeoutMs`, k.timeoutMs, DEFAULT_KEEPALIVE.timeoutMs),
  };
}

function resolveStreams(name: string, value: unknown): ResolvedStreamWindow {
  const s = optionsObject(name, value);
  rejectUnknownKeys(name, s, ['window']);
  return resolveStreamWindow(`${name}.window`, s.window);
}

function resolveCommon(name: string, o: Record<string, unknown>): ResolvedCommon {
  if (o.registry !== undefined) {
    const r = o.registry as Partial<Registry>;
    if (typeof r !== 'object' || r === null || typeof r.resolve !== 'function' || typeof r.register !== 'function' || typeof r.watch !== 'function') {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.registry must implement Registry (register, deregister, resolve, watch, close), e.g. new MemoryRegistry().`);
    }
  }
  if (o.interceptors !== undefined && !Array.isArray(o.interceptors)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.interceptors must be an array of interceptors.`);
  }
  const interceptors = (o.interceptors as unknown[] | undefined) ?? [];
  interceptors.forEach((i, n) => checkInterceptor(i, `${name}.interceptors[${n}]`));
  if (o.logger !== undefined && o.logger !== false && (typeof o.logger !== 'object' || o.logger === null)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.logger must be a pino logger, pino options, or false.`);
  }
  return {
    registry: o.registry as Registry | undefined,
    codec: o.codec === undefined ? 'msgpack' : oneOf(`${name}.codec`, o.codec, CODEC_NAMES),
    // Telemetry outermost: it sees (and times, and logs) calls the user's interceptors refuse.
    interceptors: [...telemetryInterceptors(o.telemetry, `${name}.telemetry`), ...(interceptors as InterceptorLike[])],
    logger: o.logger as Logger | undefined,
    maxFrameBytes: o.maxFrameBytes === undefined ? DEFAULT_MAX_FRAME_BYTES : positiveInt(`${name}.maxFrameBytes`, o.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES),
    connectTimeoutMs:
      o.connectTimeoutMs === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : durationMs(`${name}.connectTimeoutMs`, o.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    policy: checkClientPolicy(o.policy ?? {}, `${name}.policy`),
    keepalive: resolveKeepalive(`${name}.keepalive`, o.keepalive),
    streamWindow: resolveStreams(`${name}.streams`, o.streams),
  };
}

/** AppOptions, validated. */
export interface ResolvedAppOptions extends ResolvedCommon {
  services: Function[] | undefined;
  scan: string[];
  container: Container | undefined;
  exposeErrorStack: boolean;
  tls: TlsServerOptions | undefined;
  clientTls: TlsClientOptions | undefined;
  limits: ServerLimits;
  advertise: AdvertiseOptions | undefined;
  advertiseMethods: boolean;
  reflection: boolean;
  contract: ContractManifest | undefined;
  http: ResolvedHttpOptions | undefined;
  /** True when `telemetry` asked for metrics or a `metrics()` interceptor is global. */
  hasMetrics: boolean;
  admission: ResolvedAdmission | false;
}

function resolveLimits(name: string, value: unknown): ServerLimits {
  const l = optionsObject(name, value);
  rejectUnknownKeys(name, l, ['maxConnections', 'maxInFlightPerConnection', 'idleTimeoutMs', 'maxStreamsPerConnection']);
  const out: ServerLimits = {};
  if (l.maxConnections !== undefined) out.maxConnections = positiveInt(`${name}.maxConnections`, l.maxConnections);
  if (l.maxInFlightPerConnection !== undefined) out.maxInFlightPerConnection = positiveInt(`${name}.maxInFlightPerConnection`, l.maxInFlightPerConnection);
  if (l.idleTimeoutMs !== undefined) out.idleTimeoutMs = durationMs(`${name}.idleTimeoutMs`, l.idleTimeoutMs);
  if (l.maxStreamsPerConnection !== undefined) out.maxStreamsPerConnection = positiveInt(`${name}.maxStreamsPerConnection`, l.maxStreamsPerConnection, 100);
  return out;
}

function resolveAdvertise(name: string, value: unknown): AdvertiseOptions | undefined {
  if (value === undefined) return undefined;
  const a = optionsObject(name, value);
  rejectUnknownKeys(name, a, ['host', 'port', 'weight', 'zone', 'metadata']);
  const out: AdvertiseOptions = { host: nonEmptyString(`${name}.host`, a.host) };
  if (a.port !== undefined) {
    out.port = positiveInt(`${name}.port`, a.port);
    if (out.port > 65535) throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.port must be at most 65535, got ${out.port}.`);
  }
  if (a.weight !== undefined) out.weight = nonNegativeInt(`${name}.weight`, a.weight);
  if (a.zone !== undefined) out.zone = nonEmptyString(`${name}.zone`, a.zone);
  if (a.metadata !== undefined) out.metadata = stringRecord(`${name}.metadata`, a.metadata);
  return out;
}

/** Validates createApp's options. Throws RivetConfigError naming the option and the fix. */
export function resolveAppOptions(input: unknown): ResolvedAppOptions {
  const o = optionsObject('createApp options', input);
  rejectUnknownKeys('createApp options', o, APP_KEYS);
  if (o.services !== undefined && (!Array.isArray(o.services) || !o.services.every((s) => typeof s === 'function'))) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, 'createApp options.services must be an array of @Service classes.');
  }
  const scan = o.scan === undefined ? [] : typeof o.scan === 'string' ? [o.scan] : o.scan;
  if (!Array.isArray(scan) || !scan.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, "createApp options.scan must be a directory or glob, or an array of them (e.g. 'dist/services').");
  }
  if (o.container !== undefined && (typeof o.container !== 'object' || o.container === null || typeof (o.container as Container).bind !== 'function')) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, 'createApp options.container must be an inversify Container.');
  }
  return {
    ...resolveCommon('createApp options', o),
    services: o.services as Function[] | undefined,
    scan: scan as string[],
    container: o.container as Container | undefined,
    exposeErrorStack: o.exposeErrorStack === undefined ? false : bool('createApp options.exposeErrorStack', o.exposeErrorStack),
    tls: o.tls as TlsServerOptions | undefined,
    clientTls: o.clientTls as TlsClientOptions | undefined,
    limits: resolveLimits('createApp options.limits', o.limits),
    advertise: resolveAdvertise('createApp options.advertise', o.advertise),
    advertiseMethods: o.advertiseMethods === undefined ? true : bool('createApp options.advertiseMethods', o.advertiseMethods),
    reflection: o.reflection === undefined ? true : bool('createApp options.reflection', o.reflection),
    contract: o.contract === undefined ? undefined : checkManifest(o.contract, 'createApp options.contract'),
    http: o.http === undefined ? undefined : resolveHttpOptions(o.http, 'createApp options.http'),
    hasMetrics: hasMetrics(o.telemetry, o.interceptors),
    admission: resolveAdmission('createApp options.admission', o.admission),
  };
}

/** True when the telemetry option turns metrics on, or a global interceptor is a `metrics()` one. */
function hasMetrics(telemetry: unknown, interceptors: unknown): boolean {
  if (telemetry === true) return true;
  if (typeof telemetry === 'object' && telemetry !== null && (telemetry as { metrics?: unknown }).metrics !== false) return true;
  return Array.isArray(interceptors) && interceptors.some(isMetricsInterceptor);
}

/** ClientOptions, validated. */
export interface ResolvedClientOptions extends ResolvedCommon {
  endpoints: Record<string, string[]> | undefined;
  container: Container | undefined;
  tls: TlsClientOptions | undefined;
}

/** Validates createClient's options. Throws RivetConfigError naming the option and the fix. */
export function resolveClientOptions(input: unknown): ResolvedClientOptions {
  const o = optionsObject('createClient options', input);
  rejectUnknownKeys('createClient options', o, CLIENT_KEYS);
  if (o.endpoints !== undefined && o.registry !== undefined) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, 'createClient options: pass either registry or endpoints, not both.');
  }
  return {
    ...resolveCommon('createClient options', o),
    endpoints: o.endpoints as Record<string, string[]> | undefined,
    container: o.container as Container | undefined,
    tls: o.tls as TlsClientOptions | undefined,
  };
}

