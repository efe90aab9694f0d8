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
        if (key !== 'timeoutMs' && key !== 'idempotent' && key !== 'stream') {
          throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: unknown option '${key}'; use timeoutMs, idempotent or stream.`);
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
      if (opts.stream !== undefined) options.stream = checkStream(where, opts.stream);
    }
    checkShape(where, descriptor.value as Function, options.stream);
    let own = Reflect.getOwnMetadata(METHODS_KEY, target) as Map<string, MethodOptions> | undefined;
    if (own === undefined) {
      own = new Map();
      Reflect.defineMetadata(METHODS_KEY, own, target);
    }
    own.set(propertyKey, Object.freeze(options));
  };
}

const STREAM_KINDS = ['server', 'client', 'bidi'] as const;

function checkStream(where: string, stream: unknown): 'server' | 'client' | 'bidi' {
  if (!STREAM_KINDS.includes(stream as 'server')) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: stream must be 'server', 'client' or 'bidi', got ${JSON.stringify(stream)}.`);
  }
  return stream as 'server' | 'client' | 'bidi';
}

/**
 * Checks what can be checked of a method's shape when it is declared: an `async *` method is a
 * server or bidi stream, a client stream returns one reply, and client and bidi streams take
 * their input as the first parameter. A plain method returning an AsyncIterable is allowed for
 * server and bidi streams; that it really returns one is checked when it is called.
 */
function checkShape(where: string, fn: Function, stream: 'server' | 'client' | 'bidi' | undefined): void {
  const generator = fn.constructor?.name === 'AsyncGeneratorFunction';
  if (stream === undefined && generator) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: an async generator method streams its results; declare it with @Method({ stream: 'server' }) (or 'bidi').`);
  }
  if (stream === 'client' && generator) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: a client stream returns one reply, not a generator; use stream: 'bidi' to stream both ways.`);
  }
  if ((stream === 'client' || stream === 'bidi') && fn.length < 1) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_DECORATOR, `${where}: a ${stream} stream takes its incoming AsyncIterable as the first parameter; add one.`);
  }
}
