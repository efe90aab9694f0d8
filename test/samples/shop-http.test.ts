import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

/*
 * `npm start -- --serve --http-port N` as a user runs it: the same compile step, then the shop
 * in a child process, reached over real HTTP with the curl line and the dashboard URL it prints.
 */

const root = path.join(__dirname, '..', '..');
const tsc = require.resolve('typescript/bin/tsc');
// A directory of this test's own (under the ignored dist-samples, so node_modules resolves), so
// that a concurrent `npm start` never reads a file this compile is writing.
const outDir = path.join('dist-samples', `shop-http-test-${process.pid}`);

let child: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;
let out = '';

/** Resolves once the shop's output matches `re`; fails after `timeoutMs`, showing what it printed. */
async function printed(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const started = Date.now();
  for (;;) {
    const m = re.exec(out);
    if (m !== null) return m;
    if (Date.now() - started > timeoutMs) throw new Error(`not printed within ${timeoutMs} ms: ${re}\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.samples.json', '--outDir', outDir], { cwd: root });
  const main = path.join(outDir, 'samples', 'shop', 'main.js');
  child = spawn(process.execPath, [main, '--serve', '--http-port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  exited = new Promise((resolve) => child?.once('exit', (code) => resolve(code)));
}, 240_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
  fs.rmSync(path.join(root, outDir), { recursive: true, force: true });
});

describe('the shop demo with --http-port', () => {
  it('prints a curl line that places an order over HTTP and a dashboard URL that serves the page, and stops on Ctrl-C', async () => {
    const curl = await printed(/curl -s -X POST localhost:(\d+)\/rpc\/Orders\/place -H 'content-type: application\/json' -d '(\[.*\])'/, 30_000);
    const dashboard = await printed(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/rivet\/dashboard)\n/, 1_000);
    await printed(/Serving; press Ctrl-C to stop/, 30_000);

    const res = await fetch(`http://127.0.0.1:${curl[1]}/rpc/Orders/place`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl[2] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: 'Ada', sku: 'rivet', quantity: 2 });

    const page = await fetch(dashboard[1]);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await page.text();

    child?.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/Done\.\n$/);
  }, 60_000);
});
