import { RivetConfigError, RivetErrorCode } from '../errors';
import { METHODS_KEY, type MethodOptions } from './metadata-store';

/**
 * Makes a method remotely callable. Only `@Method` members can be called; anything else answers
 * UNIMPLEMENTED. Throws RivetConfigError when put on something that is not a method, or with bad
 * options.
 */
export function Method(opts?: MethodOptions): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const owner = typeof target === 'function' ? target.name : (target as { constructor: { name: string } }).constructor.name;
    const where = `@Method on ${owner}.${String(propertyKey)}`;
    if (typeof propertyKey !== 'string') throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: symbol-named methods cannot be called remotely.`);
    if (typeof target === 'function') throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: static methods cannot be remote methods; make it an instance method.`);
    if (typeof descriptor?.value !== 'function') throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: only methods can be remote (not getters, setters or fields).`);
    const options: MethodOptions = {};
    if (opts !== undefined) {
      if (typeof opts !== 'object' || opts === null) throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: options must be an object like { timeoutMs: 500, idempotent: true }.`);
      for (const key of Object.keys(opts)) {
        if (key !== 'timeoutMs' && key !== 'idempotent') {
          throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: unknown option '${key}'; use timeoutMs or idempotent.`);
        }
      }
      if (opts.timeoutMs !== undefined) {
        if (typeof opts.timeoutMs !== 'number' || !(opts.timeoutMs > 0) || opts.timeoutMs > 2_147_483_647) {
          throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: timeoutMs must be a number of milliseconds > 0, got ${String(opts.timeoutMs)}.`);
        }
        options.timeoutMs = opts.timeoutMs;
      }
      if (opts.idempotent !== undefined) {
        if (typeof opts.idempotent !== 'boolean') throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: idempotent must be true or false.`);
        options.idempotent = opts.idempotent;
      }
    }
    let own = Reflect.getOwnMetadata(METHODS_KEY, target) as Map<string, MethodOptions> | undefined;
    if (own === undefined) {
      own = new Map();
      Reflect.defineMetadata(METHODS_KEY, own, target);
    }
    own.set(propertyKey, Object.freeze(options));
  };
}
