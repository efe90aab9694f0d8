/*
 * The resilience demo: a client keeps reading stock from a flaky Inventory served by two
 * processes, east and west. East falls sick for a while (fails every call), then is killed
 * (SIGKILL) and later restarted on its port; the client keeps working throughout.
 * It prints every breaker change, each failed call with its attempts, a summary each second and
 * a few of the calls that needed a retry (the server says which attempt served it).
 * Exits 0 by itself after about 7 seconds.   npm run demo:resilience
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createClient, isRpcError } from '../../src';
import { InventoryService, type StockReply } from './inventory.service';

interface ServerProcess {
  name: string;
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
}

const SKUS = ['apple', 'pear', 'plum', 'fig'];
const LANES = 4;

function startServer(name: string, port = 0): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'server.js'), name, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = readline.createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening`)));
    lines.once('line', (line) => resolve({ name, port: (JSON.parse(line) as { port: number }).port, child, exited }));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const t0 = performance.now();
const stamp = (): string => `[${((performance.now() - t0) / 1000).toFixed(2)}s]`;

async function main(): Promise<void> {
  let east = await startServer('east');
  const west = await startServer('west');
  const names: Record<string, string> = { [`127.0.0.1:${east.port}`]: 'east', [`127.0.0.1:${west.port}`]: 'west' };
  console.log(`${stamp()} east on :${east.port} (pid ${east.child.pid}), west on :${west.port} (pid ${west.child.pid})`);

  const client = createClient({
    endpoints: { Inventory: Object.keys(names) },
    logger: false,
    policy: {
      timeoutMs: 500,
      retry: { maxAttempts: 3, initialBackoffMs: 20 },
      // A short window, so a sick endpoint is shed within a second in a demo.
      breaker: { volumeThreshold: 10, errorThresholdPercentage: 50, rollingCountTimeoutMs: 1_000, resetTimeoutMs: 800 },
      // Off, so the breaker's work shows: outlier detection would shed the sick endpoint first.
      outlierDetection: false,
    },
  });
  client.on('breaker', (e) => console.log(`${stamp()} breaker ${names[e.endpoint] ?? e.endpoint}: ${e.state}`));
  const inventory = client.proxy(InventoryService);

  const counts = { ok: 0, retried: 0, failed: 0, east: 0, west: 0 };
  // Each second: one summary line, and at most a few of the calls that needed a retry.
  let second = { ok: 0, east: 0, west: 0, retried: 0, shown: 0 };
  const ticker = setInterval(() => {
    console.log(`${stamp()} last second: ${second.ok} ok (east ${second.east}, west ${second.west}), ${second.retried} needed a retry`);
    second = { ok: 0, east: 0, west: 0, retried: 0, shown: 0 };
  }, 1_000);
  let running = true;
  const lanes = Array.from({ length: LANES }, async (_, lane) => {
    for (let i = 0; running; i++) {
      const sku = SKUS[(lane + i) % SKUS.length];
      try {
        const r: StockReply = await inventory.stock(sku);
        counts.ok++;
        second.ok++;
        counts[r.servedBy as 'east' | 'west']++;
        second[r.servedBy as 'east' | 'west']++;
        if (r.attempt > 1) {
          counts.retried++;
          second.retried++;
          if (second.shown++ < 3) console.log(`${stamp()}   stock(${sku}) = ${r.count}, served by ${r.servedBy} on attempt ${r.attempt}`);
        }
      } catch (err) {
        counts.failed++;
        if (!isRpcError(err)) throw err;
        const tried = (err.attempts ?? []).map((a) => `${names[a.endpoint] ?? 'none'} ${a.code} ${a.ms.toFixed(1)}ms`).join(', ');
        console.log(`${stamp()} stock(${sku}) FAILED ${err.code} (stopped by ${err.stoppedBy ?? '-'}): ${tried}`);
      }
      await sleep(10);
    }
  });

  await sleep(1_200);
  console.log(`${stamp()} --- east falls sick: it fails every call ---`);
  east.child.stdin?.write('sick\n');
  await sleep(1_500);
  console.log(`${stamp()} --- east is well again ---`);
  east.child.stdin?.write('well\n');
  await sleep(1_300);
  console.log(`${stamp()} --- killing east (SIGKILL, pid ${east.child.pid}) ---`);
  east.child.kill('SIGKILL');
  await east.exited;
  await sleep(1_200);
  console.log(`${stamp()} --- restarting east on :${east.port} ---`);
  try {
    east = await startServer('east', east.port);
  } catch (err) {
    console.log(`${stamp()} could not restart east: ${(err as Error).message}`);
  }
  await sleep(1_500);
  running = false;
  await Promise.all(lanes);
  clearInterval(ticker);

  console.log(`${stamp()} calls ok ${counts.ok} (east ${counts.east}, west ${counts.west}; ${counts.retried} needed a retry), failed ${counts.failed}`);
  for (const e of client.stats().endpoints) {
    console.log(`  ${names[e.endpoint]}: breaker ${e.breaker}, attempts ${e.calls}, failures ${e.failures}`);
  }
  await client.close();
  for (const s of [east, west]) s.child.stdin?.end();
  await Promise.all([east.exited, west.exited]);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
