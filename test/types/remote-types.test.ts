import type { Client, Remote } from '../../src';
import { typeErrorsOf } from '../helpers/type-check';

/*
 * Type tests for Remote<T>. The assertions below are types: they hold when this file compiles.
 * ts-jest only transpiles here (the tsconfig sets isolatedModules), so the one runtime test
 * type-checks this file with the compiler and fails on any error, including a `@ts-expect-error`
 * that no longer finds an error. `npm run typecheck` checks the same lines.
 */

/** True when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when given `true`. */
function assertType<T extends true>(_proof?: T): void {}

interface Item {
  sku: string;
  qty: number;
}

class Inventory {
  readonly label = 'inventory';
  count = 0;
  private readonly hidden = 1;

  reserve(sku: string, qty: number): boolean {
    return this.hidden + qty > 0 && sku !== '';
  }

  async lookup(sku: string): Promise<Item> {
    return { sku, qty: this.count };
  }

  thenable(): PromiseLike<Item> {
    return Promise.resolve({ sku: 'x', qty: 1 });
  }

  either(fast: boolean): number | Promise<number> {
    return fast ? 1 : Promise.resolve(2);
  }

  optional(sku: string, qty?: number): void {
    void sku;
    void qty;
  }

  many(...skus: string[]): number {
    return skus.length;
  }
}

type R = Remote<Inventory>;

// Each method keeps its parameters and returns Promise<Awaited<R>>, sync or async.
assertType<Equal<R['reserve'], (sku: string, qty: number) => Promise<boolean>>>();
assertType<Equal<R['lookup'], (sku: string) => Promise<Item>>>();
assertType<Equal<R['thenable'], () => Promise<Item>>>();
assertType<Equal<R['either'], (fast: boolean) => Promise<number>>>();
assertType<Equal<R['optional'], (sku: string, qty?: number) => Promise<void>>>();
assertType<Equal<R['many'], (...skus: string[]) => Promise<number>>>();

// Only methods remain: fields, readonly fields and private members are dropped.
assertType<Equal<keyof R, 'reserve' | 'lookup' | 'thenable' | 'either' | 'optional' | 'many'>>();

// A proxy made from a class is that class's Remote.
function proxyOf(client: Client): void {
  const inventory = client.proxy(Inventory);
  assertType<Equal<typeof inventory, Remote<Inventory>>>();
}

// Misuse the compiler must reject. Never called: it only has to compile.
function misuse(inventory: Remote<Inventory>): void {
  // @ts-expect-error the argument has the wrong type
  void inventory.reserve(42, 1);
  // @ts-expect-error an argument is missing
  void inventory.reserve('sku-1');
  // @ts-expect-error a field is not part of the remote
  void inventory.count;
  // @ts-expect-error a readonly field is not part of the remote either
  void inventory.label;
  // @ts-expect-error the result is a promise, not the value
  const qty: number = inventory.many('a');
  void qty;
}

describe('Remote<T>', () => {
  it('type-checks: every assertion in this file holds and every @ts-expect-error finds its error', () => {
    expect(typeErrorsOf(__filename)).toBe('');
    // Referenced so that nothing above is unused.
    expect([proxyOf, misuse].every((f) => typeof f === 'function')).toBe(true);
  });
});
