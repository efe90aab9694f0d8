import { spawn } from 'node:child_process';
import * as path from 'node:path';

// No growth with churn: instances that leave the registry take their endpoint state, breakers
// and connections with them. test/fixtures/churn.js makes 10,000 instances join and leave under
// one client (a tenth of them take a real call) in a process started with --expose-gc, and
// reports the heap after GC before and after.

const CHURN = path.join(__dirname, '..', '..', 'fixtures', 'churn.js');
const MAX_GROWTH_BYTES = 4 * 1024 * 1024;

function runChurn(joins: number): Promise<{ growthBytes: number; endpoints: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CHURN, String(joins)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`churn.js exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim()) as { growthBytes: number; endpoints: number });
    });
  });
}

describe('10,000 joins and leaves of instances', () => {
  it('leave the client’s heap flat: at most 4 MB more after GC', async () => {
    const { growthBytes, endpoints } = await runChurn(10_000);
    expect(endpoints).toBe(0);
    expect(growthBytes).toBeLessThanOrEqual(MAX_GROWTH_BYTES);
  }, 120_000);
});
