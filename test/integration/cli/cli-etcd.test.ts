import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { type App, createApp, EtcdRegistry } from '../../../src';
import { CalcService } from '../../fixtures/cli/calc.service';
import { rivet, stderrError } from '../../helpers/cli';
import { describeEtcd, startEtcd, type EtcdServer } from '../../helpers/etcd-server';

// Every test here runs the CLI as a child process, some several times: room for a loaded machine.
jest.setTimeout(120_000);

const CHILD = path.join(__dirname, '..', '..', 'fixtures', 'cli', 'etcd-child.js');
const TTL_SECONDS = 2;

/** Starts etcd-child.js and resolves with the process once it has registered. */
async function startChild(endpoint: string, prefix: string): Promise<{ child: ChildProcess; closed: Promise<void> }> {
  const child = spawn(process.execPath, [CHILD, endpoint, prefix, String(TTL_SECONDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('etcd child did not start within 10 s')), 10_000);
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`etcd child exited (${code})`));
    });
  });
  return { child, closed };
}

async function instancesOf(args: string[], service: string): Promise<number | undefined> {
  const run = await rivet(['ls', ...args, '-o', 'json']);
  if (run.code !== 0) throw new Error(`rivet ls exited ${run.code}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { services: Array<{ name: string; instances: number }> }).services.find((s) => s.name === service)?.instances;
}

describeEtcd('rivet with --etcd', () => {
  let etcd: EtcdServer;
  const prefix = `/rivet-cli-test/${process.pid}`;
  const apps: App[] = [];
  const registries: EtcdRegistry[] = [];
  let target: string[];

  beforeAll(async () => {
    etcd = await startEtcd();
    target = ['--etcd', etcd.endpoint, '--prefix', prefix];
  });

  afterAll(async () => {
    for (const app of apps) await app.close({ drainTimeoutMs: 1_000 });
    for (const r of registries) await r.close();
    await etcd.stop();
  });

  async function serve(): Promise<App> {
    const registry = new EtcdRegistry({ endpoints: [etcd.endpoint], prefix, ttlSeconds: TTL_SECONDS });
    registries.push(registry);
    const app = await createApp({ services: [CalcService], logger: false, registry });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return app;
  }

  it('lists live instance counts that follow joins, leaves and crashes within the lease TTL', async () => {
    await serve();
    const crashing = await startChild(etcd.endpoint, prefix);
    expect(await instancesOf(target, 'Calc')).toBe(2);

    const joined = await serve();
    expect(await instancesOf(target, 'Calc')).toBe(3);

    await joined.close(); // a graceful leave deregisters at once
    expect(await instancesOf(target, 'Calc')).toBe(2);

    crashing.child.kill('SIGKILL'); // a crash leaves its key until the lease expires
    await crashing.closed;
    const killedAt = Date.now();
    let count: number | undefined = 2;
    while (count !== 1 && Date.now() - killedAt < TTL_SECONDS * 1_000 + 8_000) count = await instancesOf(target, 'Calc');
    expect(count).toBe(1);
  });

  it('prints the table with versions and method counts from reflection', async () => {
    const run = await rivet(['ls', ...target]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('SERVICE  VERSION  METHODS  INSTANCES\nCalc     1.2.0    5        1\n');
  });

  it('calls, describes and health-checks a service found in etcd', async () => {
    expect(await rivet(['call', ...target, 'Calc.multiply', '[6,7]'])).toMatchObject({ code: 0, stdout: '42\n', stderr: '' });
    const describe = await rivet(['describe', ...target, 'Calc.multiply', '-o', 'json']);
    expect(describe.code).toBe(0);
    expect(JSON.parse(describe.stdout)).toMatchObject({ name: 'Calc', methods: [{ name: 'multiply', idempotent: true }] });
    const health = await rivet(['health', ...target, '-o', 'json']);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'SERVING', services: { Calc: 'SERVING' } });
  });

  it('exits 76 for a service no instance of which is registered', async () => {
    const call = await rivet(['call', ...target, 'Nope.multiply', '[1,2]']);
    expect(call.code).toBe(76);
    expect(call.stdout).toBe('');
    expect(stderrError(call)).toMatchObject({ code: 'UNIMPLEMENTED', message: 'no instance of "Nope" is registered' });
    expect((await rivet(['describe', ...target, 'Nope'])).code).toBe(76);
  });

  it('exits 78 when etcd cannot be reached', async () => {
    const run = await rivet(['ls', '--etcd', 'http://127.0.0.1:1', '--prefix', prefix]);
    expect(run.code).toBe(78);
    expect(run.stdout).toBe('');
    expect(stderrError(run).code).toBe('UNAVAILABLE');
  });
});
