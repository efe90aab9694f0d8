import { Container, injectable } from 'inversify';
import type { Client } from '../client';
import { getRemoteInjections } from '../decorators';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { type Interceptor, type InterceptorFn, type InterceptorLike, isInterceptorClass } from '../interceptors';

// inversify 7 throws when @injectable() is applied twice, and a user's class may or may not carry
// it already. This is the flag inversify itself sets; if a future inversify moves it, the
// try/catch below still keeps us from applying it twice.
const INJECTABLE_FLAG = '@inversifyjs/core/classIsInjectableFlagReflectKey';

/** Applies inversify's `@injectable()` to a class unless it already carries it. */
export function ensureInjectable(cls: Function): void {
  if (Reflect.getOwnMetadata(INJECTABLE_FLAG, cls) !== undefined) return;
  try {
    injectable()(cls);
  } catch (err) {
    if (!/multiple times/.test((err as Error).message)) throw err;
  }
}

/** A container for an app that brought none: singletons by default, and local classes bind themselves. */
export function createDefaultContainer(): Container {
  return new Container({ autobind: true, defaultScope: 'Singleton' });
}

/** Binds a class to itself as a singleton, unless the user already bound it. */
export function bindSingleton(container: Container, cls: Function): void {
  ensureInjectable(cls);
  if (!container.isBound(cls)) container.bind(cls).toSelf().inSingletonScope();
}

/**
 * Binds every `@RemoteService` injection point declared so far to a proxy from `client`. The
 * proxy is made (and its policy validated) here, at startup, so a bad policy fails createApp.
 */
export function bindRemoteInjections(container: Container, client: Client): void {
  for (const inj of getRemoteInjections()) {
    let proxy: unknown;
    try {
      proxy = client.proxy(inj.target as string, inj.policy as undefined);
    } catch (err) {
      if (err instanceof RivetConfigError) throw new RivetConfigError(err.code, `@RemoteService at ${inj.where}: ${err.message.replace(/^RIVET_ERR_\w+: /, '')}`);
      throw err;
    }
    if (container.isBound(inj.token)) container.unbindSync(inj.token);
    container.bind(inj.token).toConstantValue(proxy);
  }
}

/** Turns interceptor classes into instances through the container; instances and functions pass through. */
export function containerInterceptorResolver(container: Container): (i: InterceptorLike) => Interceptor | InterceptorFn {
  return (i) => {
    if (!isInterceptorClass(i)) return i as Interceptor | InterceptorFn;
    bindSingleton(container, i);
    try {
      return container.get<Interceptor>(i);
    } catch (err) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INTERCEPTOR, `interceptor class ${i.name} could not be created by the container: ${(err as Error).message}`);
    }
  };
}

/** For a client with no container: interceptor classes are made with `new` and no arguments. */
export function plainInterceptorResolver(i: InterceptorLike): Interceptor | InterceptorFn {
  if (!isInterceptorClass(i)) return i as Interceptor | InterceptorFn;
  return new (i as unknown as new () => Interceptor)();
}
