import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createApp, MemoryRegistry, Method, RpcError, Service, type App, type Remote } from '../../../src';
import { Harness } from '../../helpers/apps';

/*
 * The dashboard in a real headless Chromium (Debian's `chromium` package, which .ci/run installs).
 * Set DASHBOARD_SCREENSHOT=/some/file.png to keep a screenshot of the page.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

@Service('Back')
class BackService {
  failing = false;

  @Method()
  work(): string {
    if (this.failing) throw new RpcError('INTERNAL', 'back is broken');
    return 'worked';
  }
}

@Service('Front')
class FrontService {
  @Method()
  hello(name: string): string {
    return `hello ${name}`;
  }

  @Method()
  oops(): never {
    throw new RpcError('NOT_FOUND', 'nothing here');
  }
}

const registry = new MemoryRegistry();
const backs = new Harness();
let browser: Browser;
let profile: string;
let back: BackService;
let front: App;
let httpPort: number;

async function startFront(port: number): Promise<App> {
  const app = await createApp({ services: [FrontService], registry, logger: false, http: { port } });
  const listened = await app.listen(0, '127.0.0.1');
  httpPort = listened.httpPort as number;
  return app;
}

async function gateway(path: string, body: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.text();
  return res.status;
}

/** The text of `selector` once `ok(text)` holds; fails after `timeoutMs`, saying what it last saw. */
async function waitForText(page: Page, selector: string, ok: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const started = Date.now();
  let last: string | null = null;
  while (Date.now() - started < timeoutMs) {
    last = await page.$eval(selector, (el) => el.textContent ?? '').catch(() => null);
    if (last !== null && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${selector}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

const row = (service: string, method: string) => `[data-testid="method-row"][data-service="${service}"][data-method="${method}"]`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const served = await backs.serve({ services: [BackService], registry });
  back = served.app.get(BackService);
  front = await startFront(0);
  profile = mkdtempSync(join(tmpdir(), 'rivet-chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await front?.close({ drainTimeoutMs: 1_000 });
  await backs.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

describe('the dashboard in a headless browser', () => {
  it('shows calls within 2 s, an open breaker, and recovers after the app restarts, with no console errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${String(err)}`));
    // While the app is down the stream's reconnects fail; nothing else may.
    let down = false;
    page.on('requestfailed', (r) => {
      if (!(down && r.url().endsWith('/rivet/events'))) problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
    });
    await page.setViewport({ width: 1280, height: 900 });
    const res = await page.goto(`http://127.0.0.1:${httpPort}/rivet/dashboard`, { waitUntil: 'domcontentloaded' });
    expect(res?.status()).toBe(200);

    // Method rows are there before any call, with an integer count.
    expect(await waitForText(page, `${row('Front', 'hello')} [data-testid="calls"]`, (t) => t === '0', 5_000)).toBe('0');

    // Calls show within 2 s (the stream sends a snapshot a second).
    for (let i = 0; i < 5; i++) expect(await gateway('/rpc/Front/hello', '["ada"]')).toBe(200);
    expect(await gateway('/rpc/Front/oops', '[]')).toBe(404);
    const callsAt = Date.now();
    await waitForText(page, `${row('Front', 'hello')} [data-testid="calls"]`, (t) => t === '5', 2_000);
    expect(Date.now() - callsAt).toBeLessThanOrEqual(2_000);
    await waitForText(page, `${row('Front', 'oops')} [data-testid="errors"]`, (t) => t === '1', 2_000);

    // The app calls Back; its endpoint shows, and its breaker opens when Back fails.
    const backProxy: Remote<BackService> = front.client(BackService, {
      retry: false,
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
    });
    expect(await backProxy.work()).toBe('worked');
    const endpoint = `[data-testid="endpoint-row"][data-service="Back"] [data-testid="breaker"]`;
    expect(await waitForText(page, endpoint, (t) => t === 'closed', 2_000)).toBe('closed');
    back.failing = true;
    for (let i = 0; i < 4; i++) await backProxy.work().catch(() => undefined);
    expect(front.rpc.stats().endpoints.find((e) => e.service === 'Back')?.breaker).toBe('open');
    const openAt = Date.now();
    await waitForText(page, endpoint, (t) => t === 'open', 2_000);
    expect(Date.now() - openAt).toBeLessThanOrEqual(2_000);
    const address = await page.$eval('[data-testid="endpoint-row"][data-service="Back"]', (el) => el.getAttribute('data-endpoint'));
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);

    const screenshot = process.env.DASHBOARD_SCREENSHOT;
    if (screenshot !== undefined) await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });

    // Restart: a new app on the same HTTP port after a while down, longer than the browser's
    // first retry; the page reconnects by itself, shows it, and logs no error meanwhile.
    const port = httpPort;
    down = true;
    await front.close({ drainTimeoutMs: 1_000 });
    await waitForText(page, '[data-testid="connection"]', (t) => t.startsWith('reconnecting'), 5_000);
    await new Promise((r) => setTimeout(r, 3_000));
    front = await startFront(port);
    expect(httpPort).toBe(port);
    for (let i = 0; i < 2; i++) expect(await gateway('/rpc/Front/hello', '["linus"]')).toBe(200);
    await waitForText(page, `${row('Front', 'hello')} [data-testid="calls"]`, (t) => t === '2', 10_000);
    await waitForText(page, '[data-testid="connection"]', (t) => t.startsWith('live'), 2_000);
    down = false;

    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
