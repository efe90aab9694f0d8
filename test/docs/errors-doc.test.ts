import * as fs from 'node:fs';
import * as path from 'node:path';
import { RivetErrorCode } from '../../src';

// Keeps docs/errors.md and the code list in step (fastify does the same for its error catalogue).
describe('docs/errors.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(RIVET_ERR_\w+)` \|/gm)].map((m) => m[1]).sort();

  it('lists every RIVET_ERR_* code exactly once, and no other', () => {
    expect(documented).toEqual(Object.values(RivetErrorCode).sort());
  });
});
