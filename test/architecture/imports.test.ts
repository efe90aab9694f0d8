import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.js');
const KNOWN = path.join(ROOT, '.dependency-cruiser-known-violations.json');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Runs dependency-cruiser on `src` under `cwd` with Rivet's rules; resolves with every violation. */
function cruise(cwd: string): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [DEPCRUISE, 'src', '--config', CONFIG, '--no-ignore-known', '--output-type', 'json'],
      { cwd, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      // It exits non-zero when it finds violations; the JSON on stdout is the answer either way.
      (err, stdout, stderr) => {
        try {
          resolve((JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations);
        } catch {
          reject(new Error(`dependency-cruiser failed: ${err?.message ?? ''}\n${stderr}`));
        }
      },
    );
  });
}

const key = (v: Violation): string => `${v.rule.name}: ${v.from} -> ${v.to}`;

describe('imports in src/', () => {
  it('hold the rules of docs/architecture.md: no cycle, layers point down, folders reached through index.ts, libraries through one entry', async () => {
    const found = (await cruise(ROOT)).map(key).sort();
    const allowed = (JSON.parse(readFileSync(KNOWN, 'utf8')) as Violation[]).map(key).sort();
    const fresh = found.filter((v) => !allowed.includes(v));
    const fixed = allowed.filter((v) => !found.includes(v));
    // A new violation fails here. So does a fixed one still on the allowlist: the list only shrinks.
    expect({ fresh, fixed }).toEqual({ fresh: [], fixed: [] });
  }, 60_000);

  it('allow nothing: the allowlist is empty since the client redesign (issue #12) removed the last cycles', () => {
    expect(JSON.parse(readFileSync(KNOWN, 'utf8'))).toEqual([]);
  });

  it('the check finds a cycle, an upward import, a deep import and a library outside its entry', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rivet-imports-'));
    try {
      const write = (file: string, text: string): void => {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), text);
      };
      write('tsconfig.build.json', JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node', strict: true }, include: ['src'] }));
      write('src/errors/index.ts', "export { up } from './up';\n");
      write('src/errors/up.ts', "import { Client } from '../client';\nexport const up = Client;\n");
      write('src/client/index.ts', "export { Client } from './client';\n");
      write('src/client/client.ts', "import type { B } from './b';\nexport class Client { b?: B }\n");
      write('src/client/b.ts', "import type { Client } from './client';\nexport interface B { c: Client }\n");
      write('src/util/index.ts', "export { deep } from './deep';\n");
      write('src/util/deep.ts', "import * as net from 'node:net';\nimport { Client } from '../client/client';\nexport const deep = [net, Client];\n");
      const rules = new Set((await cruise(dir)).map((v) => v.rule.name));
      expect([...rules].sort()).toEqual(['layer-errors', 'layer-util', 'library-net', 'no-circular', 'through-index']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
