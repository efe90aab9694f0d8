import * as fs from 'node:fs';
import * as path from 'node:path';
import { RPC_CODES } from '../../src';
import { DIFF_RULES, exitCodeOf } from '../../src/cli';

// Keeps docs/cli.md in step with the exit codes and the diff rules the CLI implements.
describe('docs/cli.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');

  it('lists every RPC exit code as 64 + the gRPC number', () => {
    const documented = [...doc.matchAll(/^\| (\d+) \| `([A-Z_]+)` \|$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(documented).toEqual(RPC_CODES.map((code) => [exitCodeOf(code), code]));
    expect(exitCodeOf('NOT_FOUND')).toBe(69);
    expect(exitCodeOf('UNAUTHENTICATED')).toBe(80);
  });

  it('lists every diff rule once, with its severity', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \| (ERR|WARN|INFO) \|/gm)].map((m) => [m[1], m[2]]);
    expect(documented.sort()).toEqual(Object.entries(DIFF_RULES).sort());
  });
});
