import { composeMiddleware, type Invoker, type Middleware } from '../call';
import { isRpcError, RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import type { ServiceDescriptor } from '../protocol';
import type { ServiceDefinition } from './service-definition';

/** A method ready to run: its chain composed once, at startup. */
export interface MethodEntry {
  readonly service: string;
  readonly method: string;
  readonly invoker: Invoker;
  readonly timeoutMs: number | undefined;
  readonly idempotent: boolean;
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
        const last: Invoker = async (ctx) => {
          try {
            return await handler(ctx);
          } catch (err) {
            // The handler ran, so its call was processed, even when what it rethrows is a
            // downstream call's "not processed" refusal: the caller must not resend it elsewhere.
            throw isRpcError(err) && err.notProcessed ? new RpcError(err.code, err.message, err.details, { cause: err }) : err;
          }
        };
        const stages = [...globalMiddlewares, ...(m.guards ?? []), ...service.middlewares, ...m.middlewares];
        // With no stages the handler is the whole chain: nothing to skip at call time.
        const invoker = stages.length === 0 ? last : composeMiddleware(stages, last);
        methods.set(m.name, { service: service.name, method: m.name, invoker, timeoutMs: m.timeoutMs, idempotent: m.idempotent });
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
