import { Client } from '../client';
import { StaticRegistry } from '../discovery';
import { containerInterceptorResolver, plainInterceptorResolver } from './container';
import { resolveContract } from './contract';
import { defaultRegistry } from './default-registry';
import { createLogger } from './logger';
import { type ClientOptions, resolveClientOptions } from './options';
import { wireTelemetry } from './telemetry';
import { createTransport } from './transport';

/**
 * Creates a client for calling services by proxy or by name, with no server of its own.
 * With `endpoints` it calls fixed addresses; with `registry` it follows that registry; with
 * neither, the in-process registry shared by this process's apps.
 * Throws RivetConfigError for bad options.
 */
export function createClient(opts: ClientOptions = {}): Client {
  const o = resolveClientOptions(opts);
  const log = createLogger(o.logger, 'rivet-client');
  const registry = o.endpoints !== undefined ? new StaticRegistry(o.endpoints) : (o.registry ?? defaultRegistry);
  const client = new Client({
    registry,
    transport: createTransport(undefined, o.tls, log, 'createClient options', 'tls'),
    codec: o.codec,
    globalInterceptors: o.interceptors,
    resolveInterceptor: o.container ? containerInterceptorResolver(o.container) : plainInterceptorResolver,
    resolveContract,
    logger: log,
    maxFrameBytes: o.maxFrameBytes,
    connectTimeoutMs: o.connectTimeoutMs,
    defaultPolicy: o.policy,
    keepalive: o.keepalive,
    streamWindow: o.streamWindow,
  });
  wireTelemetry(o.interceptors, { logger: log, client });
  return client;
}
