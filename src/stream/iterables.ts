/** True for anything `for await` accepts as an async iterable. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * The iterator of an AsyncIterable or a plain Iterable (an array works), or undefined when
 * `value` is neither. A sync iterator is wrapped, so the sender pulls every source the same way.
 */
export function toAsyncIterator(value: unknown): AsyncIterator<unknown> | undefined {
  if (isAsyncIterable(value)) return value[Symbol.asyncIterator]();
  if (value !== null && typeof value === 'object' && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    const it = (value as Iterable<unknown>)[Symbol.iterator]();
    return {
      next: () => Promise.resolve(it.next()),
      return: (v?: unknown) => Promise.resolve(it.return?.(v) ?? { done: true as const, value: v }),
    };
  }
  return undefined;
}
