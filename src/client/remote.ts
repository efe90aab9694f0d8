import type { BreakerPolicy, Fallback, RetryPolicy } from '../resilience';
import type { HedgePolicy } from './client-policy';
import type { RemoteStream } from '../stream';

/**
 * The typed proxy of a service class: every method of `T`, taking the same arguments and
 * returning `Promise<Awaited<R>>`. Non-method members are left out. Streams (docs/streaming.md):
 * a method returning an `AsyncIterable<O>` (an `async *` method) returns a `RemoteStream<O>` at
 * once, and a first parameter `AsyncIterable<I>` (a client or bidi stream's input) accepts any
 * `AsyncIterable<I>` or `Iterable<I>`, so an array works.
 */
export type Remote<T> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the widest function type, only to match methods
  [K in keyof T as T[K] extends (...args: any[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R
    ? RemoteMethod<A, R>
    : never;
};

/**
 * One remote method. Bracketed so a union result is not split, and `never` (a method that only
 * throws) stays a promise rather than matching AsyncIterable.
 */
export type RemoteMethod<A extends unknown[], R> = [R] extends [never]
  ? (...args: RemoteArgs<A>) => Promise<never>
  : [R] extends [AsyncIterable<infer O>]
    ? (...args: RemoteArgs<A>) => RemoteStream<O>
    : (...args: RemoteArgs<A>) => Promise<Awaited<R>>;

/** A method's parameters as a caller passes them: a stream's input may be any (async) iterable. */
export type RemoteArgs<A extends unknown[]> = A extends [AsyncIterable<infer I>, ...infer Rest] ? [input: AsyncIterable<I> | Iterable<I>, ...rest: Rest] : A;

/** A class, as accepted where a service is named by its class. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters of any class
export type Class<T = unknown> = abstract new (...args: any[]) => T;

/** Client-side settings a service class declares with decorators (class or method level). */
export interface ContractPolicy {
  timeoutMs?: number;
  retry?: false | RetryPolicy;
  breaker?: false | BreakerPolicy;
  hedge?: false | HedgePolicy;
  fallback?: Fallback;
}

/** What a client needs to know of a service it calls by class: its name and its methods' facts. */
export interface ServiceContract {
  name: string;
  methods: Record<string, { timeoutMs?: number; idempotent: boolean; policy?: ContractPolicy; stream?: 'server' | 'client' | 'bidi' }>;
  /** Class-level decorators. */
  policy?: ContractPolicy;
}

/** Turns a class into its ServiceContract; supplied by app/, which reads the decorators. */
export type ContractResolver = (target: Class) => ServiceContract;
