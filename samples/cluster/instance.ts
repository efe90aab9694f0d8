/*
 * One instance of the Inventory service. Registers itself in etcd and prints `{"port":N}` once
 * listening. SIGTERM closes it gracefully (deregister first, then drain).
 * Usage: INSTANCE_NAME=a node instance.js http://127.0.0.1:2379
 */
import { createApp, EtcdRegistry } from '../../src';
import { Inventory } from './inventory.service';

// A crashed instance leaves etcd within this many seconds (its lease runs out).
const TTL_SECONDS = 3;

async function main(): Promise<void> {
  const endpoint = process.argv[2];
  if (!endpoint) throw new Error('usage: instance.js <etcd endpoint>');
  const registry = new EtcdRegistry({ endpoints: [endpoint], ttlSeconds: TTL_SECONDS });
  const app = await createApp({ services: [Inventory], registry, logger: { level: 'warn' } });
  const { port } = await app.listen(0, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  const stop = () => void app.close().then(() => registry.close()).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
