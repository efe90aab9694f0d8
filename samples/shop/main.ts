/*
 * The shop demo: three services in three apps on the embedded in-process registry, and a
 * gateway-style client calling Orders, which calls Users and Inventory through injected proxies.
 *
 *   npm start              run the story and exit 0
 *   npm start -- --serve   keep serving after the story (Ctrl-C stops gracefully)
 */
import { createApp, createClient, isRpcError, type App } from '../../src';
import { InventoryService } from './inventory.service';
import { OrdersService } from './orders.service';
import { UsersService } from './users.service';

function show(step: string, outcome: unknown): void {
  console.log(`  ${step.padEnd(44)} ${typeof outcome === 'string' ? outcome : JSON.stringify(outcome)}`);
}

async function attempt(step: string, call: () => Promise<unknown>): Promise<void> {
  try {
    show(step, await call());
  } catch (err) {
    if (!isRpcError(err)) throw err;
    show(step, `${err.code}: ${err.message} ${err.details === undefined ? '' : JSON.stringify(err.details)}`);
  }
}

async function main(): Promise<void> {
  const serve = process.argv.includes('--serve');
  // Each service in an app of its own, as it would run in production; they find each other
  // through the in-process registry, which needs nothing installed.
  const apps: App[] = [];
  for (const service of [UsersService, InventoryService, OrdersService]) {
    const app = await createApp({ services: [service], logger: false });
    const { port } = await app.listen(0, '127.0.0.1');
    console.log(`${service.name.replace('Service', '')} listening on 127.0.0.1:${port}`);
    apps.push(app);
  }

  const gateway = createClient({
    logger: false,
    interceptors: [
      async (ctx, next) => {
        ctx.metadata['x-caller'] = 'gateway';
        return next();
      },
    ],
  });
  const orders = gateway.proxy(OrdersService);

  console.log('\nThe gateway places orders:');
  await attempt('Ada orders 2 rivets', () => orders.place('u1', 'rivet', 2));
  await attempt('Linus orders 1 bolt', () => orders.place('u2', 'bolt', 1));
  await attempt('Linus orders 5 bolts (only 2 left)', () => orders.place('u2', 'bolt', 5));
  await attempt('someone unknown orders', () => orders.place('u9', 'rivet', 1));
  await attempt('who does Orders think is calling?', () => orders.whoCalls());
  await attempt('a slow report with a 200 ms deadline', () => gateway.invoke('Orders', 'report', [1_000], { timeoutMs: 200 }));
  await attempt('the same report, given time', () => gateway.invoke('Orders', 'report', [100]));
  const many = await Promise.all(Array.from({ length: 100 }, (_, i) => orders.place('u1', 'rivet', 1).then((o) => o.id)));
  show('100 concurrent orders on one connection', `order ids ${Math.min(...many)}..${Math.max(...many)}`);

  if (serve) {
    console.log('\nServing; press Ctrl-C to stop.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  console.log('\nShutting down gracefully.');
  await gateway.close();
  for (const app of apps.reverse()) await app.close();
  console.log('Done.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
