import { injectable } from 'inversify';
import { currentContext, Method, RemoteService, Service, UseInterceptors, type Interceptor, type Remote } from '../../src';
import { InventoryService } from './inventory.service';
import { UsersService } from './users.service';

export interface Order {
  id: number;
  user: string;
  sku: string;
  quantity: number;
  priority: boolean;
  placedAt: Date;
}

/** A local dependency, injected by the container like any class. */
@injectable()
export class OrderBook {
  private readonly orders: Order[] = [];
  add(order: Omit<Order, 'id'>): Order {
    const stored = { ...order, id: this.orders.length + 1 };
    this.orders.push(stored);
    return stored;
  }
}

/** Rejects calls that do not say who they come from. */
export class RequireCaller implements Interceptor {
  async intercept(ctx: Parameters<Interceptor['intercept']>[0], next: () => Promise<unknown>): Promise<unknown> {
    if (!ctx.metadata['x-caller']) ctx.metadata['x-caller'] = 'anonymous';
    return next();
  }
}

/** Places orders: checks the user, reserves stock, records the order. */
@Service('Orders')
@UseInterceptors(RequireCaller)
export class OrdersService {
  constructor(
    @RemoteService(UsersService) private readonly users: Remote<UsersService>,
    @RemoteService(InventoryService, { timeoutMs: 2_000 }) private readonly inventory: Remote<InventoryService>,
    private readonly book: OrderBook,
  ) {}

  @Method({ timeoutMs: 3_000 })
  async place(userId: string, sku: string, quantity: number): Promise<Order> {
    // Both downstream calls inherit what is left of this call's deadline.
    const user = await this.users.get(userId);
    await this.inventory.reserve(sku, quantity);
    return this.book.add({ user: user.name, sku, quantity, priority: user.vip, placedAt: new Date() });
  }

  @Method({ idempotent: true })
  whoCalls(): string {
    return currentContext()?.metadata['x-caller'] ?? 'nobody';
  }

  /** Deliberately slow, to show deadlines. */
  @Method()
  async report(delayMs: number): Promise<string> {
    const signal = currentContext()!.signal;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, delayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
    return 'report ready';
  }
}
