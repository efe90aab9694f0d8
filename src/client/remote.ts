import type { BreakerPolicy, Fallback, RetryPolicy } from '../resilience';
import type { HedgePolicy } from './client-policy';

/**
 * The typed proxy of a service class: every method of `T`, taking the same arguments and
 * returning `Promise<Awaited<R>>`. Non-method members are left out.
 */
export type Remote<T> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the widest function type, only to match methods
  [K in keyof T as T[K] extends (...args: any[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

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
  methods: Record<string, { timeoutMs?: number; idempotent: boolean; policy?: ContractPolicy }>;
  /** Class-level decorators. */
  policy?: ContractPolicy;
}

/** Turns a class into its ServiceContract; supplied by app/, which reads the decorators. */
export type ContractResolver = (target: Class) => ServiceContract;
