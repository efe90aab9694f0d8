import { createRemoteProxy } from '../../../src/client/remote-proxy';

type Method = (...args: unknown[]) => Promise<unknown>;

/** A makeMethod that records which names it was asked for. */
function methodMaker(): { made: string[]; make: (name: string) => Method } {
  const made: string[] = [];
  return {
    made,
    make: (name) => {
      made.push(name);
      return async (...args: unknown[]) => `${name}(${args.join(',')})`;
    },
  };
}

describe('createRemoteProxy', () => {
  it('returns the same function object for every read of one name', () => {
    const { made, make } = methodMaker();
    const proxy = createRemoteProxy('Arith', make) as Record<string, Method>;
    const first = proxy.add;
    const second = proxy.add;
    expect(typeof first).toBe('function');
    expect(second).toBe(first);
    expect(proxy.sub).not.toBe(first);
    expect(made).toEqual(['add', 'sub']);
  });

  it('calls the method made for the name', async () => {
    const proxy = createRemoteProxy('Arith', methodMaker().make) as Record<string, Method>;
    await expect(proxy.add(1, 2)).resolves.toBe('add(1,2)');
  });

  it('has no then, so awaiting the proxy resolves to the proxy itself', async () => {
    const { made, make } = methodMaker();
    const proxy = createRemoteProxy('Arith', make) as Record<string, unknown>;
    expect(proxy.then).toBeUndefined();
    expect(proxy.catch).toBeUndefined();
    expect(proxy.toJSON).toBeUndefined();
    const awaited: unknown = await (proxy as unknown);
    expect(awaited).toBe(proxy);
    expect(made).toEqual([]);
  });

  it('answers undefined for symbol properties', () => {
    const { made, make } = methodMaker();
    const proxy = createRemoteProxy('Arith', make) as Record<symbol, unknown>;
    expect(proxy[Symbol.iterator]).toBeUndefined();
    expect(proxy[Symbol.toPrimitive]).toBeUndefined();
    expect(proxy[Symbol.for('nodejs.util.inspect.custom')]).toBeUndefined();
    expect(made).toEqual([]);
  });

  it('cannot be written to', () => {
    const proxy = createRemoteProxy('Arith', methodMaker().make) as Record<string, unknown>;
    expect(() => {
      'use strict';
      proxy.add = 1;
    }).toThrow(TypeError);
  });
});
