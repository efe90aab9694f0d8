import * as path from 'node:path';
import { RivetConfigError, RivetErrorCode } from '../../src';
import { Harness } from '../helpers/apps';

// Relative to the working directory, as users write it ('test/fixtures/scan' from the repo root).
const fixtures = (name: string): string => path.relative(process.cwd(), path.join(__dirname, '..', 'fixtures', name));
const SCAN_DIR = fixtures('scan');
const BROKEN_DIR = fixtures('scan-broken');

// This file imports no @Service class itself: whatever an app serves here, a scan imported.
describe('scan', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('serves the @Service classes of every module below the scanned directory', async () => {
    const { app, address } = await h.serve({ scan: SCAN_DIR });
    expect([...app.services].sort()).toEqual(['ScanCounter', 'ScanGreeting']);
    const client = h.client({ endpoints: { ScanGreeting: [address], ScanCounter: [address] } });
    await expect(client.invoke('ScanGreeting', 'greet', ['Ada'])).resolves.toBe('hello, Ada');
    await expect(client.invoke('ScanCounter', 'next')).resolves.toBe(1);
  });

  it('imports only the modules a glob matches', async () => {
    // A module registry of its own, so modules imported by other tests do not count.
    await jest.isolateModulesAsync(async () => {
      const rivet = await import('../../src');
      const app = await rivet.createApp({ logger: false, registry: new rivet.MemoryRegistry(), scan: `${SCAN_DIR}/*-service.ts` });
      try {
        expect(app.services).toEqual(['ScanGreeting']);
      } finally {
        await app.close();
      }
    });
  });

  it('fails with RIVET_ERR_SCAN naming the module that threw on import', async () => {
    const attempt = h.serve({ scan: BROKEN_DIR });
    await expect(attempt).rejects.toBeInstanceOf(RivetConfigError);
    await expect(attempt).rejects.toMatchObject({ code: RivetErrorCode.RIVET_ERR_SCAN });
    await expect(attempt).rejects.toThrow(/broken-service\.ts/);
    await expect(attempt).rejects.toThrow(/broken on purpose/);
  });
});
