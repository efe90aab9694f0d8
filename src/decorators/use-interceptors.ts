import { RivetConfigError, RivetErrorCode } from '../errors';
import type { InterceptorLike } from '../interceptors';
import { CLASS_INTERCEPTORS_KEY, METHOD_INTERCEPTORS_KEY } from './metadata-store';

/**
 * Adds interceptors to every method of a class, or to one method. Order: global, then class,
 * then method; within one list the first is outermost. Classes are resolved through the app's
 * container. Throws RivetConfigError for something that is not an interceptor.
 */
export function UseInterceptors(...interceptors: InterceptorLike[]): ClassDecorator & MethodDecorator {
  for (const [i, x] of interceptors.entries()) {
    const ok = typeof x === 'function' || (typeof x === 'object' && x !== null && typeof (x as { intercept?: unknown }).intercept === 'function');
    if (!ok) {
      throw new RivetConfigError(
        RivetErrorCode.RIVET_ERR_INTERCEPTOR,
        `@UseInterceptors argument ${i}: an interceptor must be an object with intercept(ctx, next), a function, or a class; got ${x === null ? 'null' : typeof x}.`,
      );
    }
  }
  return ((target: object, propertyKey?: string | symbol) => {
    if (propertyKey === undefined) {
      const existing = (Reflect.getOwnMetadata(CLASS_INTERCEPTORS_KEY, target) as unknown[] | undefined) ?? [];
      // Decorators apply bottom-up; prepend so the list reads in source order.
      Reflect.defineMetadata(CLASS_INTERCEPTORS_KEY, [...interceptors, ...existing], target);
      return;
    }
    let own = Reflect.getOwnMetadata(METHOD_INTERCEPTORS_KEY, target) as Map<string, unknown[]> | undefined;
    if (own === undefined) {
      own = new Map();
      Reflect.defineMetadata(METHOD_INTERCEPTORS_KEY, own, target);
    }
    own.set(String(propertyKey), [...interceptors, ...(own.get(String(propertyKey)) ?? [])]);
  }) as ClassDecorator & MethodDecorator;
}
