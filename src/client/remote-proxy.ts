// Names the proxy never answers: `then` would make the proxy look like a promise to `await`,
// and the rest are probed by Node's inspector, JSON and test frameworks.
const NOT_REMOTE: ReadonlySet<string> = new Set(['then', 'catch', 'finally', 'toJSON', 'constructor', 'inspect', 'asymmetricMatch', '$$typeof', 'nodeType']);

/**
 * A Proxy whose every property is a remote method. Each method's function is made once, on first
 * use, and cached, so a call costs one property read and no allocation beyond its arguments.
 */
export function createRemoteProxy(service: string, makeMethod: (method: string) => (...args: unknown[]) => Promise<unknown>): object {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const target = Object.create(null) as object;
  return new Proxy(target, {
    get(_target, prop) {
      if (typeof prop !== 'string' || NOT_REMOTE.has(prop)) return undefined;
      let fn = methods.get(prop);
      if (fn === undefined) {
        fn = makeMethod(prop);
        methods.set(prop, fn);
      }
      return fn;
    },
    has(_target, prop) {
      return typeof prop === 'string' && !NOT_REMOTE.has(prop);
    },
    set() {
      return false;
    },
    ownKeys() {
      return [];
    },
    getOwnPropertyDescriptor() {
      return undefined;
    },
    getPrototypeOf() {
      return null;
    },
    // Shown by util.inspect and in test failure messages.
    apply() {
      throw new TypeError(`remote proxy of "${service}" is not a function`);
    },
  });
}
