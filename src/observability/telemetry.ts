import { RivetConfigError, RivetErrorCode } from '../errors';
import type { Interceptor } from '../interceptors';
import { optionsObject, rejectUnknownKeys } from '../util';
import { accessLog, type AccessLogOptions, checkAccessLogOptions } from './access-log';
import { checkMetricsOptions, metrics, type MetricsOptions } from './metrics';
import { checkTracingOptions, tracing, type TracingOptions } from './tracing';

/**
 * `createApp({ telemetry })` and `createClient({ telemetry })`: `true` turns on tracing, metrics
 * and the access log with their defaults (the global OpenTelemetry providers, and the app's or
 * client's logger); an object turns each on (`true` or its options, the default) or off (`false`).
 */
export interface TelemetryOptions {
  /** Spans per call: see {@link tracing}. Default on. */
  tracing?: boolean | TracingOptions;
  /** RPC metrics: see {@link metrics}. Default on. */
  metrics?: boolean | MetricsOptions;
  /** One log line per call: see {@link accessLog}. Default on. */
  accessLog?: boolean | AccessLogOptions;
}

function part<T>(name: string, value: unknown, check: (input: unknown, name: string) => T): T | false {
  if (value === false) return false;
  return check(value === true ? undefined : value, name);
}

/**
 * The interceptors a `telemetry` option asks for, outermost first: tracing (so the others run
 * inside the call's span and see its trace id), metrics, access log. None for `false` or
 * undefined. Throws RivetConfigError naming `name` for a bad value.
 */
export function telemetryInterceptors(input: unknown, name: string): Interceptor[] {
  if (input === undefined || input === false) return [];
  if (input !== true && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be true, false, or { tracing, metrics, accessLog } (each true, false or its options).`);
  }
  const o = input === true ? {} : optionsObject(name, input);
  rejectUnknownKeys(name, o, ['tracing', 'metrics', 'accessLog']);
  const t = part(`${name}.tracing`, o.tracing, checkTracingOptions);
  const m = part(`${name}.metrics`, o.metrics, checkMetricsOptions);
  const a = part(`${name}.accessLog`, o.accessLog, checkAccessLogOptions);
  const out: Interceptor[] = [];
  if (t !== false) out.push(tracing(t));
  if (m !== false) out.push(metrics(m));
  if (a !== false) out.push(accessLog(a));
  return out;
}
