import type { CallContext } from '../call';
import { ErrorReason, isRpcCode, RivetConfigError, RivetErrorCode, RpcError, type RpcCode } from '../errors';
import type { Interceptor, Next } from '../interceptors';
import { abortableSleep } from '../resilience';
import { nonEmptyString, optionsObject, rejectUnknownKeys } from '../util';

/** What {@link faults} injects, and where. Every key is optional; with none set it does nothing. */
export interface FaultsOptions {
  /** Probability (0 to 1) that a call fails with `code` before its handler runs. Default 0. */
  failRate?: number;
  /** The code of an injected failure. Default `'UNAVAILABLE'`. */
  code?: RpcCode;
  /** Milliseconds added before every call it covers (ends early when the call's signal aborts). Default 0. */
  latencyMs?: number;
  /**
   * Probability (0 to 1) that the server closes the connection the call came on, sending no
   * reply: the client sees `UNAVAILABLE` (`CONNECTION_LOST`) for it and every other call in
   * flight on that connection. Default 0.
   */
  dropConnection?: number;
  /** Only these methods, as `'Service.method'` or a bare `'method'`. Default: every method. */
  methods?: string[];
}

const FAULTS_KEYS = ['failRate', 'code', 'latencyMs', 'dropConnection', 'methods'] as const;

function invalid(message: string): never {
  throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, message);
}

function probability(name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  return invalid(`${name} must be a probability from 0 to 1 (0.1 fails one call in ten), got ${String(value)}.`);
}

/**
 * A fault-injecting server interceptor, for tests and demos of resilience: pass it in
 * `createApp({ interceptors: [faults({ failRate: 0.3 })] })`. For each call it covers it waits
 * `latencyMs`, then drops the connection with probability `dropConnection`, then fails with
 * `RpcError(code, …, { reason: 'FAULT_INJECTED' })` with probability `failRate`, else runs the
 * call. An injected failure is not marked not-processed: to the client it looks like a handler
 * that failed. On the client side (an app's global interceptors serve both) it does nothing.
 * Throws RivetConfigError at once for a bad option.
 */
export function faults(options: FaultsOptions = {}): Interceptor {
  const o = optionsObject('faults options', options);
  rejectUnknownKeys('faults options', o, FAULTS_KEYS);
  const failRate = probability('faults options.failRate', o.failRate);
  const dropRate = probability('faults options.dropConnection', o.dropConnection);
  const code = o.code ?? 'UNAVAILABLE';
  if (!isRpcCode(code)) invalid(`faults options.code must be an RpcCode such as 'UNAVAILABLE', got ${String(code)}.`);
  const latencyMs = o.latencyMs ?? 0;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
    invalid(`faults options.latencyMs must be a number of milliseconds >= 0, got ${String(latencyMs)}.`);
  }
  let methods: ReadonlySet<string> | null = null;
  if (o.methods !== undefined) {
    if (!Array.isArray(o.methods)) invalid("faults options.methods must be an array of names such as ['Inventory.reserve'].");
    methods = new Set((o.methods as unknown[]).map((m, i) => nonEmptyString(`faults options.methods[${i}]`, m)));
  }
  const covers = (ctx: CallContext): boolean =>
    ctx.side === 'server' && (methods === null || methods.has(ctx.method) || methods.has(`${ctx.service}.${ctx.method}`));

  return {
    async intercept(ctx: CallContext, next: Next): Promise<unknown> {
      if (!covers(ctx)) return next();
      if (latencyMs > 0) await abortableSleep(latencyMs, ctx.signal);
      if (dropRate > 0 && Math.random() < dropRate) {
        // server-connection.ts turns this reason into a closed connection with no reply.
        throw new RpcError('UNAVAILABLE', 'fault injection: dropping the connection', { reason: ErrorReason.DROP_CONNECTION });
      }
      if (failRate > 0 && Math.random() < failRate) {
        throw new RpcError(code, `fault injection: ${ctx.service}.${ctx.method} failed with ${code}`, { reason: ErrorReason.FAULT_INJECTED });
      }
      return next();
    },
  };
}
