import { inject } from 'inversify';
import { RivetConfigError, RivetErrorCode } from '../errors';
import { addRemoteInjection } from './metadata-store';

/**
 * Injects a typed proxy of a remote service, as a constructor parameter or a property:
 *
 *     constructor(@RemoteService(Inventory) private readonly inventory: Remote<Inventory>) {}
 *     @RemoteService('Users') users!: Remote<Users>;
 *
 * The target is a `@Service` class or a service name. `policy` is a ClientPolicy, validated when
 * the app is created. The proxy always goes through the client pipeline, even when the app serves
 * the target itself.
 */
export function RemoteService(target: string | (abstract new (...args: never[]) => unknown), policy?: object): PropertyDecorator & ParameterDecorator {
  if (typeof target !== 'string' && typeof target !== 'function') {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@RemoteService needs a service name or a @Service class, got ${target === null ? 'null' : typeof target}.`);
  }
  if (typeof target === 'string' && target === '') throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, '@RemoteService needs a non-empty service name.');
  const label = typeof target === 'string' ? target : target.name;
  return ((host: object, propertyKey: string | symbol | undefined, parameterIndex?: number) => {
    const owner = typeof host === 'function' ? host.name : (host as { constructor: { name: string } }).constructor.name;
    const where = parameterIndex === undefined ? `${owner}.${String(propertyKey)}` : `${owner} constructor parameter ${parameterIndex}`;
    const token = Symbol(`RemoteService(${label}) at ${where}`);
    addRemoteInjection({ token, target, policy, where });
    (inject(token) as (t: object, k: string | symbol | undefined, i?: number) => void)(host, propertyKey, parameterIndex);
  }) as PropertyDecorator & ParameterDecorator;
}
