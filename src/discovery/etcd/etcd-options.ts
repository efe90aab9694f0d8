import type { IOptions } from 'etcd3';
import type { Logger } from 'pino';
import { RivetConfigError, RivetErrorCode } from '../../errors';
import { jitteredBackoffMs, nonEmptyString, optionsObject, positiveInt, rejectUnknownKeys } from '../../util';
import { loadEtcd3 } from './load-etcd3';

const DEFAULT_PREFIX = '/rivet/services';
const DEFAULT_TTL_SECONDS = 10;
// etcd's own floor with its default timing (1 s election timeout) is 2 s; below it etcd
// silently raises the TTL, so a smaller value would not mean what it says.
const MIN_TTL_SECONDS = 2;
// A deadline on every unary etcd call, so a black-holed endpoint cannot hang register() or resolve().
const CALL_TIMEOUT_MS = 5_000;
// etcd3 reconnects its watch stream on its own backoff; its default grows to 30 s.
const WATCH_RECONNECT_INITIAL_MS = 100;
const WATCH_RECONNECT_MAX_MS = 1_000;
const OPTION_KEYS = ['endpoints', 'prefix', 'ttlSeconds', 'auth', 'tls', 'logger'] as const;

/** The two levels the registry logs at. */
export type RegistryLog = Pick<Logger, 'warn' | 'info'>;
type FaultHandling = NonNullable<IOptions['faultHandling']>;
type EtcdPolicy = NonNullable<FaultHandling['global']>;
type EtcdBackoff = NonNullable<FaultHandling['watchBackoff']>;

const SILENT: RegistryLog = { warn: () => undefined, info: () => undefined };

/** Options of {@link EtcdRegistry}. */
export interface EtcdRegistryOptions {
  /** etcd client URLs with a port, all `http://` or all `https://`, e.g. `['http://127.0.0.1:2379']`. Required. */
  endpoints: string[];
  /** Key prefix; an instance lives at `<prefix>/<service>/<instanceId>`. Default `'/rivet/services'`. */
  prefix?: string;
  /** Lease TTL: how long a crashed server stays listed. An integer >= 2. Default 10. */
  ttlSeconds?: number;
  /** etcd user and password, when etcd has auth enabled. */
  auth?: { username: string; password: string };
  /** PEM material for `https://` endpoints: a private CA, and a client certificate and key (both or neither). */
  tls?: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string };
  /** Where outage and recovery are logged. Default: silent. */
  logger?: Logger;
}

/** EtcdRegistryOptions, checked, as the registry and the etcd3 client need them. */
export interface ResolvedEtcdOptions {
  clientOptions: IOptions;
  prefix: string;
  ttlSeconds: number;
  log: RegistryLog;
}

/** Validates EtcdRegistry's options. Throws RivetConfigError naming the option and the fix. */
export function resolveEtcdOptions(options: EtcdRegistryOptions): ResolvedEtcdOptions {
  const input = optionsObject('EtcdRegistry options', options);
  rejectUnknownKeys('EtcdRegistry options', input, OPTION_KEYS);
  const endpoints = checkEndpoints(input.endpoints);
  return {
    prefix: nonEmptyString('EtcdRegistry.prefix', input.prefix ?? DEFAULT_PREFIX).replace(/\/+$/, ''),
    ttlSeconds: checkTtl(input.ttlSeconds),
    log: checkLogger(input.logger),
    clientOptions: {
      hosts: endpoints,
      auth: checkAuth(input.auth),
      credentials: checkTls(input.tls, endpoints),
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
      // etcd3's default host policy is a breaker that stays open 5 s after 3 failures, which
      // would delay recovery after an outage by up to 5 s. Our own loops back off instead.
      faultHandling: { global: tryEachHost(endpoints.length), host: () => tryEachHost(1), watchBackoff: watchBackoff(0) },
    },
  };
}

/** True for connection-level etcd errors (etcd unreachable), as opposed to request errors. */
export function isRecoverable(err: unknown): boolean {
  return err instanceof Error && loadEtcd3().isRecoverableError(err);
}

/** A non-null, non-array object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// A cockatiel-shaped policy (etcd3 takes one) that tries each host once on a connection error
// and otherwise passes the call straight through: no breaker, no hidden retry delay.
function tryEachHost(attempts: number): EtcdPolicy {
  const noEvent = () => ({ dispose: () => undefined });
  return {
    _altReturn: undefined as never,
    onSuccess: noEvent,
    onFailure: noEvent,
    async execute(fn, signal) {
      const context = { signal: signal ?? new AbortController().signal };
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn(context);
        } catch (err) {
          if (attempt >= attempts || !isRecoverable(err)) throw err;
        }
      }
    },
  };
}

function watchBackoff(attempt: number): EtcdBackoff {
  return {
    duration: jitteredBackoffMs(attempt, WATCH_RECONNECT_INITIAL_MS, WATCH_RECONNECT_MAX_MS),
    next: () => watchBackoff(attempt + 1),
  };
}

/** A RIVET_ERR_INVALID_OPTION error. */
export function invalid(message: string): RivetConfigError {
  return new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, message);
}

function checkEndpoints(value: unknown): string[] {
  const example = "e.g. ['http://127.0.0.1:2379']";
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(`EtcdRegistry.endpoints must be a non-empty array of etcd client URLs, ${example}.`);
  }
  const schemes = new Set<string>();
  for (const [i, e] of value.entries()) {
    let url: URL | null = null;
    try {
      url = typeof e === 'string' ? new URL(e) : null;
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.port === '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw invalid(`EtcdRegistry.endpoints[${i}] must be a URL with scheme and port, ${example}; got ${JSON.stringify(e)}.`);
    }
    schemes.add(url.protocol);
  }
  if (schemes.size > 1) throw invalid('EtcdRegistry.endpoints mixes http:// and https://; use one scheme for all endpoints.');
  return value as string[];
}

function checkTtl(value: unknown): number {
  const ttl = positiveInt('EtcdRegistry.ttlSeconds', value ?? DEFAULT_TTL_SECONDS, DEFAULT_TTL_SECONDS);
  if (ttl < MIN_TTL_SECONDS) {
    throw invalid(
      `EtcdRegistry.ttlSeconds must be at least ${MIN_TTL_SECONDS} (etcd's minimum lease TTL), got ${ttl}. ` +
        `Leave it out to use the default (${DEFAULT_TTL_SECONDS}).`,
    );
  }
  return ttl;
}

function checkAuth(value: unknown): { username: string; password: string } | undefined {
  if (value === undefined) return undefined;
  const auth = optionsObject('EtcdRegistry.auth', value);
  rejectUnknownKeys('EtcdRegistry.auth', auth, ['username', 'password']);
  return {
    username: nonEmptyString('EtcdRegistry.auth.username', auth.username),
    password: nonEmptyString('EtcdRegistry.auth.password', auth.password),
  };
}

function checkTls(value: unknown, endpoints: string[]): IOptions['credentials'] {
  if (value === undefined) return undefined;
  const tls = optionsObject('EtcdRegistry.tls', value);
  rejectUnknownKeys('EtcdRegistry.tls', tls, ['ca', 'cert', 'key']);
  if (!endpoints[0].startsWith('https:')) {
    throw invalid("EtcdRegistry.tls is set but the endpoints use http://; use https:// endpoints, or leave tls out.");
  }
  const pem = (name: string): Buffer | undefined => {
    const v = tls[name];
    if (v === undefined) return undefined;
    if (Buffer.isBuffer(v)) return v;
    if (typeof v === 'string' && v.length > 0) return Buffer.from(v);
    throw invalid(`EtcdRegistry.tls.${name} must be PEM text as a string or Buffer.`);
  };
  const ca = pem('ca');
  const cert = pem('cert');
  const key = pem('key');
  if ((cert === undefined) !== (key === undefined)) {
    throw invalid('EtcdRegistry.tls needs both cert and key for a client certificate, or neither.');
  }
  // etcd3 types rootCertificate as required, but grpc-js's createSsl treats a missing one as
  // "use the system CAs", which is what leaving `ca` out should mean.
  return { rootCertificate: ca as Buffer, certChain: cert, privateKey: key };
}

function checkLogger(value: unknown): RegistryLog {
  if (value === undefined) return SILENT;
  const logger = value as Partial<Logger>;
  if (!isObject(value) || typeof logger.child !== 'function' || typeof logger.warn !== 'function') {
    throw invalid('EtcdRegistry.logger must be a pino Logger (or leave it out for silence).');
  }
  return logger.child({ component: 'etcd-registry' });
}
