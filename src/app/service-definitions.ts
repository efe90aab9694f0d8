import type { Container } from 'inversify';
import type { Middleware } from '../call';
import { authorizeMiddleware } from '../auth';
import {
  getAuthorizeChecks,
  getAuthorizedMembers,
  getClassInterceptors,
  getMethodInterceptors,
  getMethodMetadata,
  getResilienceMetadata,
  getServiceMetadata,
} from '../decorators';
import { Bulkhead, RateLimiter, resolveBulkheadPolicy, resolveRateLimitPolicy } from '../resilience';
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
 * The server-side resilience stages of one method: its rate limiter (shared by every method of
 * the class when declared on the class) and its own bulkhead. Rate limit first: a call refused for
 * rate costs no bulkhead slot.
 */
function serverLimits(cls: Function, service: string, method: string, classLimiter: RateLimiter | undefined): Middleware[] {
  const stages: Middleware[] = [];
  const methodMeta = getResilienceMetadata(cls, method);
  const classMeta = getResilienceMetadata(cls);
  const limiter =
    methodMeta?.rateLimit !== undefined ? new RateLimiter(resolveRateLimitPolicy(methodMeta.rateLimit, `@RateLimit on ${service}.${method}`)) : classLimiter;
  if (limiter !== undefined) stages.push(limiter.middleware());
  const bulkhead = methodMeta?.bulkhead ?? classMeta?.bulkhead;
  if (bulkhead !== undefined) {
    const where = methodMeta?.bulkhead !== undefined ? `${service}.${method}` : service;
    // A class-level @Bulkhead still limits each method on its own: one slow method must not
    // starve the others.
    stages.push(new Bulkhead(resolveBulkheadPolicy(bulkhead, `@Bulkhead on ${where}`), `${service}.${method}`).middleware());
  }
  return stages;
}

/**
 * A method's own stages: its `@Authorize` checks, then its `@UseInterceptors`. Authorization sits
 * after the global and class interceptors, so an authenticating interceptor at either level
 * (bearerAuth is usually global) has set `ctx.principal` first, and before the method's
 * interceptors, so none of them (a cache, say) can answer a caller the checks refuse.
 */
function methodStages(cls: Function, method: string, interceptors: Middleware[]): Middleware[] {
  const checks = getAuthorizeChecks(cls, method);
  return checks.length === 0 ? interceptors : [authorizeMiddleware(checks), ...interceptors];
}

function tightest(...values: Array<number | undefined>): number | undefined {
  let min: number | undefined;
  for (const v of values) if (v !== undefined && (min === undefined || v < min)) min = v;
  return min;
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
    const classRate = getResilienceMetadata(cls)?.rateLimit;
    const classLimiter = classRate === undefined ? undefined : new RateLimiter(resolveRateLimitPolicy(classRate, `@RateLimit on ${meta.name}`));
    const methods: MethodDefinition[] = [];
    const methodMeta = getMethodMetadata(cls);
    for (const member of getAuthorizedMembers(cls)) {
      if (!methodMeta.has(member)) {
        throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Authorize on ${meta.name}.${member}: it is not a @Method, so it guards nothing; add @Method() or move @Authorize.`);
      }
    }
    for (const [name, opts] of methodMeta) {
      const fn = instance[name];
      if (typeof fn !== 'function') {
        throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SERVICE, `${meta.name}.${name} is marked @Method but is not a function on the instance.`);
      }
      const def: MethodDefinition = {
        name,
        handler: (ctx) => (fn as (...args: unknown[]) => unknown).apply(instance, ctx.args),
        idempotent: opts.idempotent ?? false,
        middlewares: methodStages(cls, name, middlewaresOf(getMethodInterceptors(cls, name), `@UseInterceptors on ${meta.name}.${name}`, resolve)),
        // Limits run before the class's interceptors: a refused call costs no interceptor work.
        guards: serverLimits(cls, meta.name, name, classLimiter),
      };
      // The tightest of @Method({ timeoutMs }) and @Timeout (method, then class): the server caps
      // calls at it and advertises it, so a client calling by name learns what a typed proxy reads.
      const timeoutMs = tightest(opts.timeoutMs, getResilienceMetadata(cls, name)?.timeoutMs, getResilienceMetadata(cls)?.timeoutMs);
      if (timeoutMs !== undefined) def.timeoutMs = timeoutMs;
      if (opts.stream !== undefined) def.stream = opts.stream;
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
