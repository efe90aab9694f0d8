import { ErrorReason, RpcError } from '../errors';
import type { ServiceDefinition } from './service-definition';

/** The name the reflection service is served under, on every app that keeps it on. */
export const REFLECTION_SERVICE = 'rivet.Reflection';

/** One parameter of a reflected method; known only when the app was given a contract manifest. */
export interface ReflectedParam {
  name: string;
  type: string;
  optional: boolean;
}

/** What `rivet.Reflection` tells about one method. */
export interface ReflectedMethod {
  name: string;
  /**
   * How many positional arguments it takes: the contract's count when the app has a contract,
   * else the handler's declared count (`Function.length`: parameters before the first default).
   */
  arity: number;
  /** Names, types and optionality from the contract manifest; empty without one. */
  params: ReflectedParam[];
  /** The return type from the contract manifest, when there is one. */
  returns?: string;
  idempotent: boolean;
  /** The server's deadline cap for the method, in ms. */
  timeoutMs?: number;
  /** How the method streams; absent for unary methods. */
  stream?: 'server' | 'client' | 'bidi';
  /** True when the contract marks the method `@deprecated`. */
  deprecated?: boolean;
}

/** What `rivet.Reflection` tells about one service. */
export interface ReflectedService {
  name: string;
  version?: string;
  /** Sorted by name. */
  methods: ReflectedMethod[];
  /** The service's entry of the contract manifest the app was given, as it was given. */
  contract?: Readonly<Record<string, unknown>>;
}

/** The answer of `rivet.Reflection.list()`. */
export interface ReflectionListing {
  /** The app's own services, sorted by name; the built-in `rivet.*` services are not listed. */
  services: ReflectedService[];
}

/**
 * The built-in reflection service. `list()` answers every service's facts; `describe(service)`
 * answers one, or fails with UNIMPLEMENTED when the app does not serve it. It carries no stages
 * of its own: the server's global interceptors run around it as around any call, so an
 * authenticating interceptor guards it. The listing is built once, when the app is made.
 */
export function reflectionServiceDefinition(listing: ReflectionListing): ServiceDefinition {
  const frozen = deepFreeze({ services: [...listing.services].sort((a, b) => compare(a.name, b.name)) });
  const byName = new Map(frozen.services.map((s) => [s.name, s]));
  return {
    name: REFLECTION_SERVICE,
    middlewares: [],
    methods: [
      { name: 'list', idempotent: true, middlewares: [], handler: () => frozen },
      {
        name: 'describe',
        idempotent: true,
        middlewares: [],
        handler: (ctx) => {
          const name = ctx.args[0];
          const found = typeof name === 'string' ? byName.get(name) : undefined;
          if (found === undefined) {
            throw new RpcError('UNIMPLEMENTED', `no service ${JSON.stringify(name)} is served here`, { reason: ErrorReason.UNKNOWN_METHOD, service: name });
          }
          return found;
        },
      },
    ],
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
