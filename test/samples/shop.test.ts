import { isRpcError, Method, RpcError, Service } from '../../src';
import { createTestApp, faults, type TestApp } from '../../src/testing';
import { InventoryService } from '../../samples/shop/inventory.service';
import { OrdersService } from '../../samples/shop/orders.service';
import { UsersService } from '../../samples/shop/users.service';

/** Stands in for the real Inventory: registered under the same name, it serves Orders' proxy. */
@Service('Inventory')
class FakeInventory {
  readonly reserved: Array<[string, number]> = [];

  @Method({ idempotent: true })
  available(): number {
    return 1_000;
  }

  @Method()
  reserve(sku: string, quantity: number): { sku: string; left: number } {
    if (sku === 'discontinued') throw new RpcError('FAILED_PRECONDITION', `${sku} is no longer sold`);
    this.reserved.push([sku, quantity]);
    return { sku, left: 1_000 - quantity };
  }
}

describe('the shop sample under createTestApp', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close({ drainTimeoutMs: 1_000 });
    app = undefined;
  });

  it('places an order through Orders, Users and Inventory, over no socket', async () => {
    app = await createTestApp({ services: [OrdersService, UsersService, InventoryService] });
    const orders = app.client(OrdersService);
    const order = await orders.place('u1', 'rivet', 2);
    expect(order).toMatchObject({ id: 1, user: 'Ada', sku: 'rivet', quantity: 2, priority: true });
    expect(order.placedAt).toBeInstanceOf(Date);
    expect(await app.client(InventoryService).available('rivet')).toBe(498);
    expect(app.address).toMatch(/^memory:\d+$/);
  });

  it('serves a dependency from a fake @Service listed under the same name', async () => {
    app = await createTestApp({ services: [OrdersService, UsersService, FakeInventory] });
    const orders = app.client(OrdersService);
    await orders.place('u2', 'bolt', 50); // the real Inventory has 3 bolts; the fake has plenty
    expect(app.get(FakeInventory).reserved).toEqual([['bolt', 50]]);
    const err = await orders.place('u2', 'discontinued', 1).catch((e: unknown) => e);
    expect(isRpcError(err) && err.code).toBe('FAILED_PRECONDITION');
  });

  it('passes business errors and deadlines through the real pipeline', async () => {
    app = await createTestApp({ services: [OrdersService, UsersService, InventoryService] });
    const orders = app.client(OrdersService);
    await expect(orders.place('u9', 'rivet', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(orders.place('u2', 'bolt', 5)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', details: { available: 3 } });
    await expect(app.rpc.invoke('Orders', 'report', [5_000], { timeoutMs: 50 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('fails a call with no server for its dependency as UNAVAILABLE (NO_INSTANCES)', async () => {
    app = await createTestApp({ services: [OrdersService, InventoryService] });
    await expect(app.client(OrdersService).place('u1', 'rivet', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'NO_INSTANCES' } });
  });

  it('runs faults() as a server interceptor', async () => {
    app = await createTestApp({
      services: [OrdersService, UsersService, InventoryService],
      interceptors: [faults({ failRate: 1, code: 'RESOURCE_EXHAUSTED', methods: ['Users.get'] })],
    });
    await expect(app.client(OrdersService).place('u1', 'rivet', 1)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { reason: 'FAULT_INJECTED' } });
    expect(await app.client(OrdersService).whoCalls()).toBe('anonymous');
  });

  it('turns a dropped connection from faults() into UNAVAILABLE (CONNECTION_LOST)', async () => {
    app = await createTestApp({
      services: [OrdersService, UsersService, InventoryService],
      interceptors: [faults({ dropConnection: 1, methods: ['Orders.whoCalls'] })],
    });
    await expect(app.client(OrdersService).whoCalls()).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'CONNECTION_LOST' } });
    // The channel reconnects for the next call.
    expect((await app.client(OrdersService).place('u1', 'rivet', 1)).id).toBe(1);
  });
});
