import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { CallContext } from '../call';
import { RivetConfigError, RivetErrorCode } from '../errors';
import type { Interceptor, Next } from '../interceptors';
import { durationMs, oneOf, optionsObject, rejectUnknownKeys } from '../util';
import { attemptOf, statusOf } from './semconv';
import { type ShedNotice, TELEMETRY_HOOKS, type TelemetryHooks } from './telemetry-hooks';

/** The levels an access log line can be written at. */
export type AccessLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVELS: readonly AccessLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** The level of access log lines unless `level` says otherwise. */
export const DEFAULT_ACCESS_LOG_LEVEL: AccessLogLevel = 'info';

/** Options of {@link accessLog}. */
export interface AccessLogOptions {
  /**
   * The pino logger to write to. Default: the logger of the app or client this interceptor is a
   * global interceptor of (`interceptors` or `telemetry`); elsewhere (a `ClientPolicy`'s
   * interceptors, `@UseInterceptors`) give one, or nothing is written.
   */
  logger?: Logger;
  /** The level of each line. Default 'info'. */
  level?: AccessLogLevel;
  /** Calls slower than this many ms are written at 'warn', whatever `level` and `sample` say. Default: off. */
  slowMs?: number;
  /** The share of calls written, from 0 to 1 (slow calls always are). Default 1. */
  sample?: number;
}

interface ResolvedAccessLogOptions {
  logger: Logger | undefined;
  level: AccessLogLevel;
  slowMs: number | undefined;
  sample: number;
}

/**
 * Validates access log options; `name` prefixes error messages. Throws RivetConfigError.
 * @internal shared with telemetryInterceptors.
 */
export function checkAccessLogOptions(input: unknown, name: string): ResolvedAccessLogOptions {
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, ['logger', 'level', 'slowMs', 'sample']);
  const logger = o.logger as Partial<Logger> | undefined;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.child !== 'function' || typeof logger.isLevelEnabled !== 'function')) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.logger must be a pino logger, or left out to use the app's.`);
  }
  const sample = o.sample ?? 1;
  if (typeof sample !== 'number' || !(sample >= 0 && sample <= 1)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.sample must be a number from 0 to 1 (the share of calls logged), got ${String(sample)}. Leave it out to log every call.`);
  }
  return {
    logger: o.logger as Logger | undefined,
    level: oneOf(`${name}.level`, o.level ?? DEFAULT_ACCESS_LOG_LEVEL, LEVELS),
    slowMs: o.slowMs === undefined ? undefined : durationMs(`${name}.slowMs`, o.slowMs),
    sample,
  };
}

/**
 * One structured pino line per call, on either side: `side`, `service`, `method`, `code` ('OK'
 * or the RpcCode), `durationMs`, `peer`, `traceId` (of the active span, or the call's
 * `traceparent`), `attempt` (on a client, how many attempts its retries took; on a server, which
 * attempt this one is). Written at `level` (default 'info'); a call slower than `slowMs` at
 * 'warn'; `sample` keeps that share of the other lines. When the logger's level turns the line
 * off and no slow line is possible, a call pays one level check and nothing else.
 * Throws RivetConfigError for bad options.
 */
export function accessLog(opts?: AccessLogOptions): Interceptor {
  return new AccessLogInterceptor(checkAccessLogOptions(opts, 'accessLog options'));
}

class AccessLogInterceptor implements Interceptor {
  private log: Logger | undefined;
  private readonly level: AccessLogLevel;
  private readonly slowMs: number | undefined;
  private readonly sample: number;
  readonly [TELEMETRY_HOOKS]: TelemetryHooks;

  constructor(opts: ResolvedAccessLogOptions) {
    this.log = opts.logger?.child({ component: 'access' });
    this.level = opts.level;
    this.slowMs = opts.slowMs;
    this.sample = opts.sample;
    this[TELEMETRY_HOOKS] = {
      // The first app or client to offer its logger wins; one given in the options always does.
      useLogger: (logger) => {
        this.log ??= logger.child({ component: 'access' });
      },
      callShed: (notice) => this.shed(notice),
    };
  }

  /** One line for a call the server's admission refused before any interceptor saw it. */
  private shed(n: ShedNotice): void {
    const log = this.log;
    if (log === undefined || !log.isLevelEnabled(this.level) || (this.sample < 1 && Math.random() >= this.sample)) return;
    const line = { side: 'server', service: n.service, method: n.method, code: n.code, durationMs: Math.round(n.waitedMs * 1000) / 1000, peer: n.peer, shed: n.reason };
    log[this.level](line, 'call shed');
  }

  async intercept(ctx: CallContext, next: Next): Promise<unknown> {
    const log = this.log;
    if (log === undefined) return next();
    // pino reads levels at run time, so these are asked per call (a property read and a compare).
    const lineOn = log.isLevelEnabled(this.level) && (this.sample >= 1 || Math.random() < this.sample);
    const slowOn = this.slowMs !== undefined && log.isLevelEnabled('warn');
    if (!lineOn && !slowOn) return next();
    const started = performance.now();
    let code = 'OK';
    try {
      return await next();
    } catch (err) {
      code = statusOf(err);
      throw err;
    } finally {
      const ms = performance.now() - started;
      const slow = slowOn && ms > (this.slowMs as number);
      if (slow || lineOn) {
        const line = {
          side: ctx.side,
          service: ctx.service,
          method: ctx.method,
          code,
          durationMs: Math.round(ms * 1000) / 1000,
          peer: ctx.peer?.address,
          traceId: traceIdOf(ctx),
          attempt: attemptOf(ctx),
        };
        if (slow) log.warn(line, 'slow call');
        else log[this.level](line, 'call');
      }
    }
  }
}

/** The trace id of the active span, else the one in the call's `traceparent`; undefined without either. */
function traceIdOf(ctx: CallContext): string | undefined {
  const span = trace.getSpanContext(context.active());
  if (span !== undefined && isSpanContextValid(span)) return span.traceId;
  // W3C traceparent: version "-" trace-id (32 hex) "-" parent-id "-" flags.
  const tp = ctx.metadata.traceparent;
  return typeof tp === 'string' && tp.length >= 55 && tp.charCodeAt(2) === 45 ? tp.slice(3, 35) : undefined;
}
