import type { Class, ContractPolicy, ServiceContract } from '../client';
import { getMethodMetadata, getResilienceMetadata, getServiceMetadata, type ResilienceMetadata } from '../decorators';
import { RivetConfigError, RivetErrorCode } from '../errors';
import type { Fallback } from '../resilience';

/**
 * The client-side part of what the resilience decorators recorded. A `@Fallback('name')` becomes
 * a call of that method of the class's prototype, with `(err, ctx)`, on the client.
 */
function contractPolicy(target: Class, meta: ResilienceMetadata | undefined, where: string, onMethod: boolean): ContractPolicy | undefined {
  if (meta === undefined) return undefined;
  const policy: ContractPolicy = {};
  if (meta.timeoutMs !== undefined) policy.timeoutMs = meta.timeoutMs;
  if (meta.retry !== undefined) policy.retry = meta.retry;
  if (meta.breaker !== undefined) {
    if (onMethod) {
      // A breaker guards one (endpoint, service): it has no per-method settings to take.
      throw new RivetConfigError(
        RivetErrorCode.RIVET_ERR_DECORATOR,
        `@CircuitBreaker on ${where}: a circuit breaker belongs to an endpoint and a whole service; put @CircuitBreaker on the class, or set breaker in the ClientPolicy.`,
      );
    }
    policy.breaker = meta.breaker;
  }
  if (meta.hedge !== undefined) policy.hedge = meta.hedge;
  if (typeof meta.fallback === 'function') policy.fallback = meta.fallback;
  if (typeof meta.fallback === 'string') {
    const name = meta.fallback;
    const fn = (target.prototype as Record<string, unknown>)[name];
    if (typeof fn !== 'function') {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `@Fallback('${name}') on ${where}: ${target.name} has no method '${name}'.`);
    }
    policy.fallback = ((err, ctx) => (fn as Fallback).call(undefined, err, ctx)) as Fallback;
  }
  return policy;
}

/**
 * Reads a `@Service` class's name, its methods' facts and its client-side decorators, for a client
 * that names its target by class. Throws RivetConfigError when the class is not a `@Service`.
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
    const m: ServiceContract['methods'][string] = { idempotent: opts.idempotent ?? false };
    if (opts.timeoutMs !== undefined) m.timeoutMs = opts.timeoutMs;
    if (opts.stream !== undefined) m.stream = opts.stream;
    const policy = contractPolicy(target, getResilienceMetadata(target, name), `${meta.name}.${name}`, true);
    if (policy !== undefined) m.policy = policy;
    methods[name] = m;
  }
  const contract: ServiceContract = { name: meta.name, methods };
  const classPolicy = contractPolicy(target, getResilienceMetadata(target), meta.name, false);
  if (classPolicy !== undefined) contract.policy = classPolicy;
  return contract;
}
