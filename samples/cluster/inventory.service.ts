import { Method, Service } from '../../src';

/** The name this process was started as ('a', 'b', ...), so the client can show who answered. */
const INSTANCE_NAME = process.env.INSTANCE_NAME ?? String(process.pid);

@Service('Inventory', { version: '1.0.0' })
export class Inventory {
  @Method({ idempotent: true })
  stock(sku: string): { sku: string; units: number; servedBy: string } {
    return { sku, units: sku.length * 7, servedBy: INSTANCE_NAME };
  }
}
