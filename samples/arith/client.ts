/* Calls Arith and Greeter in another process. Usage: node client.js host:port */
import { createClient } from '../../src';
import type { Arith, Greeter } from './arith.service';

async function main(): Promise<void> {
  const address = process.argv[2];
  if (!address) throw new Error('usage: client.js host:port');
  const client = createClient({ endpoints: { Arith: [address], Greeter: [address] }, logger: false });
  const arith = client.proxy<Arith>('Arith');
  const greeter = client.proxy<Greeter>('Greeter');
  console.log(`multiply(7, 8) = ${await arith.multiply(7, 8)}`);
  console.log(`sayHello('Rivet') = ${await greeter.sayHello('Rivet')}`);
  await client.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
