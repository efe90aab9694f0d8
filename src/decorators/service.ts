import { RivetConfigError, RivetErrorCode } from '../errors';
import { isServiceName } from '../util';
import { addServiceClass, SERVICE_KEY, type ServiceMetadata, type ServiceOptions } from './metadata-store';

/**
 * Marks a class as a service: its `@Method` members become remotely callable, and the class is a
 * singleton in the app's container. The name defaults to the class name.
 * Throws RivetConfigError for a name that is not an identifier-like string.
 */
export function Service(name?: string, opts?: ServiceOptions): ClassDecorator {
  return (target) => {
    const serviceName = name ?? target.name;
    if (!isServiceName(serviceName)) {
      throw new RivetConfigError(
        RivetErrorCode.RIVET_ERR_DECORATOR,
        `@Service name must start with a letter or _ and hold only letters, digits, '_', '.', '-'; got ${JSON.stringify(serviceName)} on class ${target.name}.`,
      );
    }
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Service options must be an object like { version: '1.2.0' } on class ${target.name}.`);
    }
    for (const key of Object.keys(opts ?? {})) {
      if (key !== 'version') throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Service on ${target.name}: unknown option '${key}'; the only option is 'version'.`);
    }
    if (opts?.version !== undefined && (typeof opts.version !== 'string' || opts.version === '')) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Service on ${target.name}: version must be a non-empty string.`);
    }
    const meta: ServiceMetadata = opts?.version === undefined ? { name: serviceName } : { name: serviceName, version: opts.version };
    Reflect.defineMetadata(SERVICE_KEY, meta, target);
    addServiceClass(target);
  };
}
