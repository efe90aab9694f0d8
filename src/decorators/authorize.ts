import type { CallContext } from '../call';
import { RivetConfigError, RivetErrorCode } from '../errors';

/**
 * A check of `@Authorize`: given the call's principal (what authentication put in
 * `ctx.principal`; undefined when nothing did) and its context, returns true to let the call in.
 */
export type AuthorizeCheck<P = unknown> = (principal: P | undefined, ctx: CallContext) => boolean | Promise<boolean>;

// Class level lives on the constructor under '', method level on the prototype under its name,
// as the resilience decorators do.
const AUTHORIZE_KEY = Symbol.for('rivet-rpc:authorize');

/**
 * Lets a call into every `@Method` of a class, or into one method, only when `check` returns
 * true; otherwise it fails with PERMISSION_DENIED before the method's interceptors and handler
 * run (after the global and class interceptors, so authentication there has set the principal).
 * Several checks (class, base classes and method, or stacked) must all pass, class checks first,
 * each list in source order. Throws RivetConfigError when `check` is not a function or the target is a
 * symbol-named member; createApp throws when it sits on a member that is not a `@Method`.
 */
export function Authorize<P = unknown>(check: AuthorizeCheck<P>): ClassDecorator & MethodDecorator {
  if (typeof check !== 'function') {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Authorize needs a function (principal, ctx) => boolean, got ${check === null ? 'null' : typeof check}.`);
  }
  return ((target: object, propertyKey?: string | symbol) => {
    if (typeof propertyKey === 'symbol') throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, '@Authorize cannot go on a symbol-named member.');
    if (propertyKey !== undefined && typeof target === 'function') {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Authorize on static ${target.name}.${propertyKey}: put it on a @Method (an instance method) or on the class.`);
    }
    let byMember = Reflect.getOwnMetadata(AUTHORIZE_KEY, target) as Map<string, AuthorizeCheck[]> | undefined;
    if (byMember === undefined) {
      byMember = new Map();
      Reflect.defineMetadata(AUTHORIZE_KEY, byMember, target);
    }
    const slot = propertyKey ?? '';
    // Decorators apply bottom-up; prepend so the list reads in source order.
    byMember.set(slot, [check as AuthorizeCheck, ...(byMember.get(slot) ?? [])]);
  }) as ClassDecorator & MethodDecorator;
}

/**
 * The checks that guard `cls.method`: the class-level ones of every class up the chain (a base
 * class's first: a subclass never loses its parent's guard), then the method's (its nearest
 * declaration up the prototype chain, as an override replaces a method).
 */
export function getAuthorizeChecks(cls: Function, method: string): readonly AuthorizeCheck[] {
  const classChecks: AuthorizeCheck[] = [];
  for (let c = cls as Function | null; c !== null && c !== Function.prototype; c = Object.getPrototypeOf(c) as Function | null) {
    const own = (Reflect.getOwnMetadata(AUTHORIZE_KEY, c) as Map<string, AuthorizeCheck[]> | undefined)?.get('');
    if (own !== undefined) classChecks.unshift(...own);
  }
  for (let proto = cls.prototype as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const own = (Reflect.getOwnMetadata(AUTHORIZE_KEY, proto) as Map<string, AuthorizeCheck[]> | undefined)?.get(method);
    if (own !== undefined) return [...classChecks, ...own];
  }
  return classChecks;
}

/** The members of `cls` and its ancestors that carry a method-level `@Authorize`. */
export function getAuthorizedMembers(cls: Function): string[] {
  const out = new Set<string>();
  for (let proto = cls.prototype as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const own = Reflect.getOwnMetadata(AUTHORIZE_KEY, proto) as Map<string, AuthorizeCheck[]> | undefined;
    if (own !== undefined) for (const k of own.keys()) out.add(k);
  }
  return [...out];
}
