import type { Container } from 'inversify';
import type { Middleware } from '../call';
import { getClassInterceptors, getMethodInterceptors, getMethodMetadata, getServiceMetadata } from '../decorators';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { checkInterceptor, type Interceptor, type InterceptorFn, type InterceptorLike, toMiddleware } from '../interceptors';
import type { MethodDefinition, ServiceDefinition } from '../server';

type Resolve = (i: InterceptorLike) => Interceptor | InterceptorFn;

function middlewaresOf(list: readonly unknown[], where: string, resolve: Resolve): Middleware[] {
  return list.map((i, n) => {
    checkInterceptor(i, `${where}[${n}]`);
    return toMiddleware(resolve(i));
  });
}

/**
 * Turns `@Service` classes into the server's ServiceDefinitions: each instance comes from the
 * container (a singleton with its dependencies injected), each `@Method` becomes a handler, and
 * class and method interceptors become stages. Throws RivetConfigError for a class that is not a
 * service or a `@Method` that is not a function on the instance.
 */
export function buildServiceDefinitions(classes: readonly Function[], container: Container, resolve: Resolve): ServiceDefinition[] {
  return classes.map((cls) => {
    const meta = getServiceMetadata(cls);
    if (meta === undefined) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SERVICE, `class ${cls.name} is listed in services but is not a @Service; add @Service() to it.`);
    }
    const instance = container.get<Record<string, unknown>>(cls);
    const methods: MethodDefinition[] = [];
    for (const [name, opts] of getMethodMetadata(cls)) {
      const fn = instance[name];
      if (typeof fn !== 'function') {
        throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SERVICE, `${meta.name}.${name} is marked @Method but is not a function on the instance.`);
      }
      const def: MethodDefinition = {
        name,
        handler: (ctx) => (fn as (...args: unknown[]) => unknown).apply(instance, ctx.args),
        idempotent: opts.idempotent ?? false,
        middlewares: middlewaresOf(getMethodInterceptors(cls, name), `@UseInterceptors on ${meta.name}.${name}`, resolve),
      };
      if (opts.timeoutMs !== undefined) def.timeoutMs = opts.timeoutMs;
      methods.push(def);
    }
    const def: ServiceDefinition = {
      name: meta.name,
      middlewares: middlewaresOf(getClassInterceptors(cls), `@UseInterceptors on ${meta.name}`, resolve),
      methods,
    };
    if (meta.version !== undefined) def.version = meta.version;
    return def;
  });
}
