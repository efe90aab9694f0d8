/* Serves Arith and Greeter; prints `{"port":N}` on stdout once listening. Usage: node server.js [port] */
import { createApp } from '../../src';
import { Arith, Greeter } from './arith.service';

async function main(): Promise<void> {
  const app = await createApp({ services: [Arith, Greeter], logger: { level: 'warn' } });
  const { port } = await app.listen(Number(process.argv[2] ?? 0), '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
