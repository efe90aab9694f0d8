import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorReason } from '../../src';

// Keeps the reasons table of docs/deadlines-and-errors.md and ErrorReason in step.
describe('docs/deadlines-and-errors.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'deadlines-and-errors.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => /^\| (`[A-Z_]+`|any|none) \|/.test(l));
  const documented = new Set(rows.flatMap((row) => [...row.split('|')[2].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1])));

  it('documents every ErrorReason in its reasons table', () => {
    const missing = Object.values(ErrorReason).filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });

  it('documents no reason that does not exist', () => {
    const known = new Set<string>(Object.values(ErrorReason));
    expect([...documented].filter((r) => !known.has(r))).toEqual([]);
  });
});
