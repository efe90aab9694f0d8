import type { Class, ServiceContract } from '../client';
import { getMethodMetadata, getServiceMetadata } from '../decorators';
import { RivetConfigError, RivetErrorCode } from '../errors';

/**
 * Reads a `@Service` class's name and method facts, for a client that names its target by class.
 * Throws RivetConfigError when the class is not a `@Service`.
 */
export function resolveContract(target: Class): ServiceContract {
  const meta = getServiceMetadata(target);
  if (meta === undefined) {
    throw new RivetConfigError(
      RivetErrorCode.RIVET_ERR_SERVICE,
      `class ${target.name || '(anonymous)'} is not a @Service; decorate it with @Service() or name the target service by its string name.`,
    );
  }
  const methods: ServiceContract['methods'] = {};
  for (const [name, opts] of getMethodMetadata(target)) {
    methods[name] = opts.timeoutMs === undefined ? { idempotent: opts.idempotent ?? false } : { idempotent: opts.idempotent ?? false, timeoutMs: opts.timeoutMs };
  }
  return { name: meta.name, methods };
}
