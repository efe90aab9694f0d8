/*
 * A cluster on etcd: three Inventory instances (child processes) register in etcd, and a client
 * that follows etcd prints how its calls spread. Then one instance crashes (SIGKILL) and a new
 * one joins, and the spread is printed again. Starts its own etcd (from the `etcd` binary, on
 * loopback ports, with a temporary data directory) unless ETCD_ENDPOINT names one, e.g. the one
 * from `docker compose up -d etcd`.
 *
 *   npm run demo:cluster
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createClient, EtcdRegistry, type Client, type Remote } from '../../src';
import { etcdInstalled, type LocalEtcd, startLocalEtcd } from './etcd';
import type { Inventory } from './inventory.service';

const CALLS_PER_ROUND = 300;

interface Instance {
  name: string;
  port: number;
  child: ChildProcess;
}

async function startInstance(name: string, etcdEndpoint: string): Promise<Instance> {
  const child = spawn(process.execPath, [path.join(__dirname, 'instance.js'), etcdEndpoint], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, INSTANCE_NAME: name },
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  lines.close();
  console.log(`  instance ${name}: pid ${child.pid}, 127.0.0.1:${port}, registered`);
  return { name, port, child };
}

function stopInstance(i: Instance, signal: NodeJS.Signals): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => i.child.once('exit', () => resolve()));
  i.child.kill(signal);
  return exited;
}

/** Makes `CALLS_PER_ROUND` calls, two at a time, and prints how many each instance served. */
async function printSpread(inventory: Remote<Inventory>, title: string): Promise<void> {
  const served: Record<string, number> = {};
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < CALLS_PER_ROUND) {
      const sku = `sku-${next++}`;
      try {
        const { servedBy } = await inventory.stock(sku);
        served[servedBy] = (served[servedBy] ?? 0) + 1;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all([worker(), worker()]);
  const spread = Object.keys(served)
    .sort()
    .map((name) => `${name}=${served[name]}`)
    .join('  ');
  console.log(`${title}: ${CALLS_PER_ROUND} calls -> ${spread}  (failed: ${failed})`);
}

/** Resolves once the client's view of Inventory is exactly `ports`; returns how long that took. */
async function untilClientSees(client: Client, ports: number[]): Promise<number> {
  const want = [...ports].sort().join();
  const started = Date.now();
  for (;;) {
    const seen = client
      .endpoints('Inventory')
      .map((e) => e.instance.port)
      .sort()
      .join();
    if (seen === want) return Date.now() - started;
    if (Date.now() - started > 15_000) throw new Error(`the client did not see ${want} within 15 s (it sees ${seen})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  let etcd: LocalEtcd | undefined;
  let endpoint = process.env.ETCD_ENDPOINT;
  if (endpoint === undefined) {
    if (!etcdInstalled()) {
      console.log('This demo needs etcd, and the `etcd` binary is not on PATH.');
      console.log('Install it with `apt-get install etcd-server` (Debian, Ubuntu), or start the one in');
      console.log('docker-compose.yml with `docker compose up -d etcd` and run');
      console.log('`ETCD_ENDPOINT=http://127.0.0.1:2379 npm run demo:cluster`.');
      return;
    }
    etcd = await startLocalEtcd();
    endpoint = etcd.endpoint;
    console.log(`etcd started on ${endpoint}`);
  } else {
    console.log(`using etcd at ${endpoint}`);
  }

  const instances: Instance[] = [];
  const registry = new EtcdRegistry({ endpoints: [endpoint] });
  const client = createClient({ registry, logger: false });
  // Round-robin makes the spread easy to read; the default (p2c-ewma) favours the fastest.
  const inventory = client.proxy<Inventory>('Inventory', { balancer: 'round-robin' });
  try {
    console.log('starting three instances of Inventory:');
    for (const name of ['a', 'b', 'c']) instances.push(await startInstance(name, endpoint));
    await untilClientSees(client, instances.map((i) => i.port));
    await printSpread(inventory, 'three instances');

    const [victim] = instances.splice(1, 1);
    await stopInstance(victim, 'SIGKILL');
    console.log(`instance ${victim.name} killed with SIGKILL (no goodbye: etcd drops it when its lease runs out)`);
    console.log('starting instance d:');
    instances.push(await startInstance('d', endpoint));
    const tookMs = await untilClientSees(client, instances.map((i) => i.port));
    console.log(`client sees ${instances.map((i) => i.name).join(', ')} after ${(tookMs / 1000).toFixed(1)} s`);
    await printSpread(inventory, 'after the swap');
  } finally {
    await client.close();
    await registry.close();
    await Promise.all(instances.map((i) => stopInstance(i, 'SIGTERM')));
    await etcd?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
