/*
 * One flaky Inventory server: fails 10% of stock calls with UNAVAILABLE and adds 2 ms to each,
 * through faults() from 'rivet-rpc/testing'. A line `sick` on stdin makes it fail every call until
 * a line `well`; a closed stdin (or SIGTERM) shuts it down. Prints `{"port":N}` once listening.
 * Usage: node server.js <name> [port]
 */
import * as readline from 'node:readline';
import { createApp, type InterceptorFn } from '../../src';
import { faults } from '../../src/testing';
import { InventoryService } from './inventory.service';

async function main(): Promise<void> {
  InventoryService.servedBy = process.argv[2] ?? 'inventory';
  let sick = false;
  const sickness = faults({ failRate: 1, code: 'UNAVAILABLE' });
  const whenSick: InterceptorFn = (ctx, next) => (sick ? sickness.intercept(ctx, next) : next());
  const app = await createApp({
    services: [InventoryService],
    interceptors: [faults({ failRate: 0.1, latencyMs: 2, methods: ['Inventory.stock'] }), whenSick],
    logger: false,
  });
  const { port } = await app.listen(Number(process.argv[3] ?? 0), '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  const stop = (): void => void app.close({ drainTimeoutMs: 500 }).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  const commands = readline.createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    sick = line.trim() === 'sick';
  });
  commands.once('close', stop);
}

void main();
