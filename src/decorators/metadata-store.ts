import 'reflect-metadata';

/*
 * The decorator metadata store: one of Rivet's two documented globals. Decorators write here and
 * nothing else; app/ reads it when it builds an app or a client. Keys are Symbol.for, so two
 * installed copies of rivet-rpc read each other's metadata.
 */

/** Options of `@Service`. */
export interface ServiceOptions {
  /** A version string, advertised in the handshake and the registry. */
  version?: string;
}

/** What `@Service` recorded on a class. */
export interface ServiceMetadata {
  name: string;
  version?: string;
}

/** Options of `@Method`. */
export interface MethodOptions {
  /** The method's deadline cap, in milliseconds; the tighter of it and the caller's wins. */
  timeoutMs?: number;
  /** Safe to run twice with the same arguments (reads, upserts): clients may then retry it after it was sent. */
  idempotent?: boolean;
  /**
   * Makes the method a stream (docs/streaming.md): `'server'` (an `async *` method that yields
   * messages), `'client'` (its first parameter is the incoming AsyncIterable; it returns one
   * reply) or `'bidi'` (both). Absent for a unary method.
   */
  stream?: 'server' | 'client' | 'bidi';
}

/** One `@RemoteService` injection point. */
export interface RemoteInjection {
  /** The container token the proxy is bound to. */
  readonly token: symbol;
  /** The service, by name or by its class. */
  readonly target: string | (abstract new (...args: never[]) => unknown);
  /** The client policy, validated when an app binds it. */
  readonly policy: unknown;
  /** Where it was declared, for error messages. */
  readonly where: string;
}

export const SERVICE_KEY = Symbol.for('rivet-rpc:service');
export const METHODS_KEY = Symbol.for('rivet-rpc:methods');
export const CLASS_INTERCEPTORS_KEY = Symbol.for('rivet-rpc:class-interceptors');
export const METHOD_INTERCEPTORS_KEY = Symbol.for('rivet-rpc:method-interceptors');
export const RESILIENCE_KEY = Symbol.for('rivet-rpc:resilience');

const serviceClasses: Function[] = [];
const remoteInjections: RemoteInjection[] = [];

/** @internal records a `@Service` class. */
export function addServiceClass(cls: Function): void {
  if (!serviceClasses.includes(cls)) serviceClasses.push(cls);
}

/** @internal records a `@RemoteService` injection point. */
export function addRemoteInjection(injection: RemoteInjection): void {
  remoteInjections.push(injection);
}

/** Every `@Service` class imported so far, in import order. */
export function getServiceClasses(): readonly Function[] {
  return serviceClasses;
}

/** Every `@RemoteService` injection point declared so far. */
export function getRemoteInjections(): readonly RemoteInjection[] {
  return remoteInjections;
}

/** The `@Service` metadata of a class, or undefined when it is not a service. */
export function getServiceMetadata(cls: Function): ServiceMetadata | undefined {
  return Reflect.getOwnMetadata(SERVICE_KEY, cls) as ServiceMetadata | undefined;
}

/**
 * The `@Method` members of a class and its ancestors, by name. A subclass's own declaration
 * wins over an inherited one.
 */
export function getMethodMetadata(cls: Function): Map<string, MethodOptions> {
  const out = new Map<string, MethodOptions>();
  const chain: object[] = [];
  for (let proto = cls.prototype as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    chain.push(proto);
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const own = Reflect.getOwnMetadata(METHODS_KEY, chain[i]) as Map<string, MethodOptions> | undefined;
    if (own) for (const [k, v] of own) out.set(k, v);
  }
  return out;
}

/** Interceptors declared with `@UseInterceptors` on a class (outermost first). */
export function getClassInterceptors(cls: Function): readonly unknown[] {
  return (Reflect.getOwnMetadata(CLASS_INTERCEPTORS_KEY, cls) as unknown[] | undefined) ?? [];
}

/** Interceptors declared with `@UseInterceptors` on one method (outermost first). */
export function getMethodInterceptors(cls: Function, method: string): readonly unknown[] {
  for (let proto = cls.prototype as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const own = Reflect.getOwnMetadata(METHOD_INTERCEPTORS_KEY, proto) as Map<string, unknown[]> | undefined;
    const list = own?.get(method);
    if (list !== undefined) return list;
  }
  return [];
}
