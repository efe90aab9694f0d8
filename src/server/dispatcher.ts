import { MethodStats } from '../admission';
import { type CallContext, composeMiddleware, type Invoker, type Middleware } from '../call';
import { isRpcError, RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import type { ServiceDescriptor } from '../protocol';
import type { ServiceDefinition } from './service-definition';

/** A method ready to run: its chain composed once, at startup. */
export interface MethodEntry {
  readonly service: string;
  readonly method: string;
  /**
   * Runs the method's whole chain. A method with no stages runs its handler directly: a
   * synchronous handler's value comes back as it is, with no promise made for it, and what it
   * throws is thrown. With stages (or an async handler) it returns a promise.
   */
  readonly run: (ctx: CallContext) => unknown;
  readonly timeoutMs: number | undefined;
  readonly idempotent: boolean;
  /** What admission knows of the method (its recent service time); made once, here. */
  readonly stats: MethodStats;
}

/**
 * The routing table: service name → method name → pre-composed invoker. Maps, not objects, so
 * that `constructor`, `toString` and other inherited names can never be found.
 */
export class Dispatcher {
  private readonly table = new Map<string, Map<string, MethodEntry>>();
  /** What the handshake advertises. */
  readonly descriptors: Record<string, ServiceDescriptor> = {};

  constructor(services: readonly ServiceDefinition[], globalMiddlewares: readonly Middleware[]) {
    for (const service of services) {
      if (this.table.has(service.name)) {
        throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SERVICE, `two services are named '${service.name}'; give one another name with @Service('OtherName').`);
      }
      const methods = new Map<string, MethodEntry>();
      const descriptor: ServiceDescriptor = { methods: {} };
      if (service.version !== undefined) descriptor.version = service.version;
      for (const m of service.methods) {
        const handler = m.handler;
        const direct = (ctx: CallContext): unknown => {
          let result: unknown;
          try {
            result = handler(ctx);
          } catch (err) {
            throw asProcessed(err);
          }
          return isThenable(result) ? Promise.resolve(result).then(undefined, rethrowAsProcessed) : result;
        };
        const stages = [...globalMiddlewares, ...(m.guards ?? []), ...service.middlewares, ...m.middlewares];
        // With no stages the handler is the whole chain: nothing to skip at call time.
        const run = stages.length === 0 ? direct : composeMiddleware(stages, toInvoker(direct));
        methods.set(m.name, { service: service.name, method: m.name, run, timeoutMs: m.timeoutMs, idempotent: m.idempotent, stats: new MethodStats(service.name, m.name) });
        descriptor.methods[m.name] = m.timeoutMs === undefined ? { idempotent: m.idempotent } : { idempotent: m.idempotent, timeoutMs: m.timeoutMs };
      }
      this.table.set(service.name, methods);
      this.descriptors[service.name] = descriptor;
    }
  }

  /** The entry for a call, or undefined (UNIMPLEMENTED). */
  lookup(service: string, method: string): MethodEntry | undefined {
    return this.table.get(service)?.get(method);
  }

  /** The names of the services served. */
  get serviceNames(): string[] {
    return [...this.table.keys()];
  }
}

/**
 * The handler ran, so its call was processed, even when what it throws is a downstream call's
 * "not processed" refusal: the caller must not resend it elsewhere.
 */
function asProcessed(err: unknown): unknown {
  return isRpcError(err) && err.notProcessed ? new RpcError(err.code, err.message, err.details, { cause: err }) : err;
}

function rethrowAsProcessed(err: unknown): never {
  throw asProcessed(err);
}

/** True for a promise or anything `await` would treat as one. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** The innermost stage of a composed chain: always a promise, as stages expect. */
function toInvoker(run: (ctx: CallContext) => unknown): Invoker {
  return (ctx) => {
    try {
      const result = run(ctx);
      return isThenable(result) ? (result as Promise<unknown>) : Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
