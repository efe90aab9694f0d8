import { RivetConfigError, RivetErrorCode } from '../errors';
import { bool, describeValue, durationMs, nonEmptyString, optionsObject, positiveInt, rejectUnknownKeys } from '../util';

/** The largest request body the gateway reads by default: 1 MiB. */
export const DEFAULT_HTTP_MAX_BODY_BYTES = 1_048_576;

/** How long a request body may take to arrive by default: 10 s. A slower or stalled one is answered 408. */
export const DEFAULT_HTTP_BODY_TIMEOUT_MS = 10_000;

/** The address the HTTP server binds unless `host` says otherwise: loopback only. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/** Options of the JSON gateway (`http.gateway`). */
export interface HttpGatewayOptions {
  /** The services callable over HTTP. Default: every `@Service` of the app. Internal `rivet.*` services never are, even when named here. */
  services?: string[];
  /** The largest request body read, in bytes; a larger one is answered 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** How long the whole request body may take to arrive, in ms; then 408. Default 10000. */
  bodyTimeoutMs?: number;
}

/** Cross-origin access for browsers (`http.cors`). Off unless given: no CORS header is ever sent. */
export interface HttpCorsOptions {
  /** The origins allowed to call the gateway, exactly as browsers send them (`'https://app.example.com'`), or `'*'`. */
  origins: string[];
}

/**
 * `createApp({ http })`: an HTTP server next to the binary one, started by `app.listen()` and
 * stopped by `app.close()`. Serves the JSON gateway (`POST /rpc/{Service}/{method}`), the
 * probes (`/livez`, `/readyz`), Prometheus metrics (`/metrics`) and the live dashboard
 * (`/rivet/dashboard`). It uses the app's `tls` when set.
 */
export interface HttpOptions {
  /** The port to listen on; 0 picks a free one (`app.listen()` resolves with it as `httpPort`). */
  port: number;
  /** The address to bind. Default '127.0.0.1'. */
  host?: string;
  /** The JSON gateway: `false` turns it off. Default on. */
  gateway?: boolean | HttpGatewayOptions;
  /** `/livez` and `/readyz`. Default on. */
  health?: boolean;
  /** `/metrics` in Prometheus text format. Default: on when the app has telemetry metrics. */
  metrics?: boolean;
  /** `/rivet/dashboard` and its event stream `/rivet/events`. Default on. */
  dashboard?: boolean;
  /** Cross-origin access to the gateway for browsers. Default: none. */
  cors?: HttpCorsOptions;
}

/** HttpOptions, validated and with defaults filled in. */
export interface ResolvedHttpOptions {
  readonly port: number;
  readonly host: string;
  readonly gateway: false | { readonly services: readonly string[] | undefined; readonly maxBodyBytes: number; readonly bodyTimeoutMs: number };
  readonly health: boolean;
  /** undefined: decided by whether the app has telemetry metrics. */
  readonly metrics: boolean | undefined;
  readonly dashboard: boolean;
  readonly cors: false | { readonly origins: readonly string[] };
}

const HTTP_KEYS = ['port', 'host', 'gateway', 'health', 'metrics', 'dashboard', 'cors'] as const;
const GATEWAY_KEYS = ['services', 'maxBodyBytes', 'bodyTimeoutMs'] as const;

function port(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RivetConfigError(
      RivetErrorCode.RIVET_ERR_INVALID_OPTION,
      `${name} must be an integer from 0 to 65535 (0 picks a free port), got ${describeValue(value)}. Example: http: { port: 8080 }.`,
    );
  }
  return value;
}

function resolveGateway(name: string, value: unknown): ResolvedHttpOptions['gateway'] {
  if (value === false) return false;
  const g = value === undefined || value === true ? {} : optionsObject(name, value);
  rejectUnknownKeys(name, g, GATEWAY_KEYS);
  let services: string[] | undefined;
  if (g.services !== undefined) {
    if (!Array.isArray(g.services)) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.services must be an array of service names, e.g. ['Orders'].`);
    }
    // A `rivet.*` name is kept and never exposed (the app warns when it starts): internal
    // services answer 404 over HTTP whatever the allowlist says.
    services = g.services.map((s, i) => nonEmptyString(`${name}.services[${i}]`, s));
  }
  return Object.freeze({
    services: services === undefined ? undefined : Object.freeze(services),
    maxBodyBytes: g.maxBodyBytes === undefined ? DEFAULT_HTTP_MAX_BODY_BYTES : positiveInt(`${name}.maxBodyBytes`, g.maxBodyBytes, DEFAULT_HTTP_MAX_BODY_BYTES),
    bodyTimeoutMs: g.bodyTimeoutMs === undefined ? DEFAULT_HTTP_BODY_TIMEOUT_MS : durationMs(`${name}.bodyTimeoutMs`, g.bodyTimeoutMs, DEFAULT_HTTP_BODY_TIMEOUT_MS),
  });
}

function resolveCors(name: string, value: unknown): ResolvedHttpOptions['cors'] {
  if (value === undefined || value === false) return false;
  const c = optionsObject(name, value);
  rejectUnknownKeys(name, c, ['origins']);
  if (!Array.isArray(c.origins) || c.origins.length === 0) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.origins must be a non-empty array of origins, e.g. ['https://app.example.com'].`);
  }
  return Object.freeze({ origins: Object.freeze(c.origins.map((o, i) => nonEmptyString(`${name}.origins[${i}]`, o))) });
}

/** Validates `http` options; `name` prefixes error messages. Throws RivetConfigError naming the option and the fix. */
export function resolveHttpOptions(input: unknown, name: string): ResolvedHttpOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be an object such as { port: 8080 }, got ${describeValue(input)}.`);
  }
  const o = input as Record<string, unknown>;
  rejectUnknownKeys(name, o, HTTP_KEYS);
  if (o.port === undefined) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.port is required: give the port to serve HTTP on, e.g. http: { port: 8080 } (0 picks a free port).`);
  }
  return Object.freeze({
    port: port(`${name}.port`, o.port),
    host: o.host === undefined ? DEFAULT_HTTP_HOST : nonEmptyString(`${name}.host`, o.host),
    gateway: resolveGateway(`${name}.gateway`, o.gateway),
    health: o.health === undefined ? true : bool(`${name}.health`, o.health),
    metrics: o.metrics === undefined ? undefined : bool(`${name}.metrics`, o.metrics),
    dashboard: o.dashboard === undefined ? true : bool(`${name}.dashboard`, o.dashboard),
    cors: resolveCors(`${name}.cors`, o.cors),
  });
}
