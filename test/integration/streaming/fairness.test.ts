import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { type Client, createClient } from '../../../src';

// The server runs in its own process (test/fixtures/stream-server.js, on dist/), so the client's
// event loop and the server's do not share one thread, as in production.
async function startFeedServer(): Promise<{ child: ChildProcess; port: number; closed: Promise<void> }> {
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'fixtures', 'stream-server.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('stream server did not start within 10 s')), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stream server exited (${code}) before it listened`));
    });
  });
  return { child, port, closed };
}

describe('fairness: streams share a connection with unary calls', () => {
  let server: { child: ChildProcess; port: number; closed: Promise<void> };
  let client: Client;

  beforeAll(async () => {
    server = await startFeedServer();
    client = createClient({ logger: false, endpoints: { Feed: [`127.0.0.1:${server.port}`] } });
  }, 20_000);
  afterAll(async () => {
    await client?.close();
    // Its stdin closing makes the server exit.
    server?.child.stdin?.end();
    await server?.closed;
  });

  it('keeps unary p99 under 50 ms and every stream above half the fastest one, with 20 streams saturating the connection', async () => {
    await client.invoke('Feed', 'ping', []); // connect first: every call below shares this connection
    const counts = new Array<number>(20).fill(0);
    let measuring = false;
    const streams = counts.map((_, i) => client.stream('Feed', 'flood', [i]));
    const consumers = streams.map(async (s, i) => {
      for await (const _ of s) if (measuring) counts[i]++;
    });
    // Let the streams reach full speed before measuring.
    await new Promise((r) => setTimeout(r, 300));
    measuring = true;
    const latencies: number[] = [];
    const until = Date.now() + 2_500;
    while (Date.now() < until) {
      const started = performance.now();
      await client.invoke('Feed', 'ping', []);
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 5));
    }
    measuring = false;
    for (const s of streams) s.cancel();
    await Promise.all(consumers);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
    const min = Math.min(...counts);
    const max = Math.max(...counts);
    // Printed so a failure on a loaded machine says by how much.
    console.log(`fairness: ${latencies.length} pings, p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; per-stream messages min ${min}, max ${max}`);
    expect(latencies.length).toBeGreaterThan(50);
    expect(p99).toBeLessThan(50);
    expect(min).toBeGreaterThan(0);
    expect(min / max).toBeGreaterThanOrEqual(0.5);
  }, 30_000);
});
