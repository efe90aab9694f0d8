import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { rivet } from '../../helpers/cli';

// Every test here runs the CLI as a child process, some several times: room for a loaded machine.
jest.setTimeout(120_000);

const CONTRACTS = path.join(__dirname, '..', '..', 'fixtures', 'contracts');
const source = (variant: string) => path.join(CONTRACTS, variant, 'orders.ts');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rivet-contracts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rivet manifest', () => {
  it('writes the same bytes for the same sources, to stdout or to a file', async () => {
    const out = path.join(dir, 'base.json');
    const toFile = await rivet(['manifest', source('base'), '-o', out]);
    expect(toFile).toMatchObject({ code: 0, stdout: '', stderr: `rivet: wrote 2 services to ${out}\n` });
    const toStdout = await rivet(['manifest', source('base')]);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe(readFileSync(out, 'utf8'));
    const manifest = JSON.parse(toStdout.stdout);
    expect(manifest.manifestVersion).toBe(1);
    expect(manifest.services.map((s: { name: string }) => s.name)).toEqual(['Audit', 'Orders']);
    expect(manifest.services[1].methods.map((m: { name: string }) => m.name)).toEqual(['all', 'cancel', 'find', 'get', 'list', 'place']);
  });

  it('expands globs', async () => {
    const run = await rivet(['manifest', path.join(CONTRACTS, 'base', '*.ts')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe((await rivet(['manifest', source('base')])).stdout);
  });

  it('exits 2 when nothing matches, and 1 when two classes claim one service name', async () => {
    const none = await rivet(['manifest', path.join(dir, 'nothing-*.ts')]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    const clash = await rivet(['manifest', source('base'), source('unchanged')]);
    expect(clash.code).toBe(1);
    expect(clash.stdout).toBe('');
    expect(clash.stderr).toMatch(/two classes are @Service "Orders": .*base.orders.ts:12 and .*unchanged.orders.ts:12/);
  });

  it('tells the user to install typescript when it is missing, and exits 1', () => {
    // A copy of the built package whose node_modules holds everything but typescript.
    const root = path.join(__dirname, '..', '..', '..');
    const pkg = path.join(dir, 'no-typescript');
    cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    mkdirSync(path.join(pkg, 'node_modules'));
    for (const entry of readdirSync(path.join(root, 'node_modules'))) {
      if (entry !== 'typescript' && entry !== '.bin') symlinkSync(path.join(root, 'node_modules', entry), path.join(pkg, 'node_modules', entry));
    }
    const run = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli', 'main.js'), 'manifest', source('base')], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'rivet: rivet manifest reads your sources with the TypeScript compiler, and `typescript` is not installed here; install it with `npm install --save-dev typescript`.\n',
    );
  });
});

describe('rivet diff', () => {
  const manifests = new Map<string, string>();
  const manifestOf = async (variant: string): Promise<string> => {
    let file = manifests.get(variant);
    if (file === undefined) {
      file = path.join(dir, `${variant}.json`);
      expect((await rivet(['manifest', source(variant), '-o', file])).code).toBe(0);
      manifests.set(variant, file);
    }
    return file;
  };

  it('exits 1 and reports an ERR for a breaking change', async () => {
    const run = await rivet(['diff', await manifestOf('base'), await manifestOf('param-reordered')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ERR  PARAM_REORDERED  Orders.place  parameters reordered from (userId, sku, quantity) to (sku, userId, quantity)\n1 change: 1 ERR, 0 WARN, 0 INFO\n');
  });

  it('exits 0 for WARN and INFO findings only', async () => {
    const warn = await rivet(['diff', await manifestOf('base'), await manifestOf('param-renamed')]);
    expect(warn.code).toBe(0);
    expect(warn.stdout).toContain('WARN  PARAM_RENAMED  Orders.cancel  parameter 1 renamed from "id" to "orderId"');
    const info = await rivet(['diff', await manifestOf('base'), await manifestOf('method-added')]);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('INFO  METHOD_ADDED  Orders.count');
  });

  it('says "no changes" and exits 0 for an unchanged contract', async () => {
    expect(await rivet(['diff', await manifestOf('base'), await manifestOf('unchanged')])).toMatchObject({ code: 0, stdout: 'no changes\n', stderr: '' });
  });

  it('prints findings as JSON for CI with --format json', async () => {
    const run = await rivet(['diff', await manifestOf('base'), await manifestOf('stream-kind-changed'), '--format', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      findings: [{ rule: 'STREAM_KIND_CHANGED', severity: 'ERR', service: 'Orders', method: 'list', message: 'stream kind changed from unary to server' }],
      summary: { ERR: 1, WARN: 0, INFO: 0 },
    });
  });

  it('exits 1 naming the file when a manifest is missing or malformed', async () => {
    const missing = await rivet(['diff', path.join(dir, 'nope.json'), await manifestOf('base')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
    const notManifest = await rivet(['diff', source('base'), await manifestOf('base')]);
    expect(notManifest.code).toBe(1);
    expect(notManifest.stderr).toMatch(/is not valid JSON: .* at line 1, column 1/);
  });
});
