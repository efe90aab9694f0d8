import { currentContext, Method, RETRY_ATTEMPT_METADATA_KEY, RpcError, Service } from '../../src';

/** What `stock` answers: the count, and which process served it on which attempt. */
export interface StockReply {
  sku: string;
  count: number;
  servedBy: string;
  attempt: number;
}

const STOCK: Record<string, number> = { apple: 12, pear: 3, plum: 0, fig: 7 };

/** A small inventory. The server process adds a faults() interceptor to make it flaky. */
@Service('Inventory')
export class InventoryService {
  /** Which server process this is, for the demo's output. */
  static servedBy = 'inventory';

  /** Reading is safe to repeat: the client may retry it, on another endpoint. */
  @Method({ idempotent: true })
  stock(sku: string): StockReply {
    const count = STOCK[sku];
    if (count === undefined) throw new RpcError('NOT_FOUND', `no such sku: ${sku}`);
    return { sku, count, servedBy: InventoryService.servedBy, attempt: Number(currentContext()?.metadata[RETRY_ATTEMPT_METADATA_KEY] ?? 1) };
  }
}
