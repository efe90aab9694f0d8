import { Method, RpcError, Service } from '../../src';

/** Stock per SKU, reserved by orders. */
@Service('Inventory')
export class InventoryService {
  private readonly stock = new Map<string, number>([
    ['rivet', 500],
    ['bolt', 3],
  ]);

  @Method({ idempotent: true })
  available(sku: string): number {
    return this.stock.get(sku) ?? 0;
  }

  @Method()
  reserve(sku: string, quantity: number): { sku: string; left: number } {
    const have = this.stock.get(sku) ?? 0;
    if (quantity > have) {
      throw new RpcError('FAILED_PRECONDITION', `only ${have} of ${sku} in stock`, { sku, requested: quantity, available: have });
    }
    this.stock.set(sku, have - quantity);
    return { sku, left: have - quantity };
  }
}
