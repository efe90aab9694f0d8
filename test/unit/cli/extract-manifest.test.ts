import * as path from 'node:path';
import * as ts from 'typescript';
import { extractManifest } from '../../../src/cli/manifest/extract-manifest';
import { checkManifest } from '../../../src/manifest';

// The compiler reads all of src/ for this fixture: room for a loaded machine.
jest.setTimeout(120_000);

const FEATURES = path.join(__dirname, '..', '..', 'fixtures', 'contracts', 'features', 'catalog.ts');
const TYPES = path.join(__dirname, '..', '..', 'fixtures', 'contracts', 'features', 'types.ts');

describe('extractManifest', () => {
  // One program for the file: it imports the real framework, which takes the compiler a while.
  const manifest = extractManifest(ts, [FEATURES]);
  const catalog = manifest.services.find((s) => s.name === 'Catalog')!;
  const method = (name: string) => catalog.methods.find((m) => m.name === name)!;

  it('names a service after @Service, or after its class', () => {
    expect(manifest.services.map((s) => s.name)).toEqual(['Catalog', 'Legacy.Catalog']);
    expect(manifest.services[1].version).toBe('0.9.0');
    expect(manifest.manifestVersion).toBe(1);
  });

  it('lists @Method members only, base-class ones included, sorted by name', () => {
    expect(catalog.methods.map((m) => m.name)).toEqual(['get', 'list', 'ping', 'update', 'version']);
  });

  it('reads parameters in order, with names, declared types and optionality', () => {
    expect(method('get').params).toEqual([{ name: 'sku', type: 'string', optional: false }]);
    expect(method('list').params).toEqual([
      { name: 'page', type: 'number', optional: true },
      { name: 'tags', type: 'string[]', optional: true },
    ]);
    expect(method('update').params).toEqual([
      { name: 'arg0', type: 'Item', optional: false },
      { name: 'note', type: 'string', optional: true },
    ]);
    expect(manifest.services[1].methods[0].params[0].type).toBe('string | number');
  });

  it('unwraps a Promise in the return type, and prints imported types by name', () => {
    expect(method('get').returns).toBe('Item');
    expect(method('list').returns).toBe('Item[]');
    expect(method('update').returns).toBe('void');
  });

  it('follows @Method options through aliases and constants, and takes the tightest timeout as the framework does', () => {
    expect(method('get')).toMatchObject({ idempotent: true, timeoutMs: 300 }); // class @Timeout(300) beats 1000
    expect(method('list')).toMatchObject({ idempotent: true, timeoutMs: 250 }); // a const
    expect(method('update')).toMatchObject({ idempotent: false, timeoutMs: 100 }); // method @Timeout
    expect(method('ping')).toMatchObject({ idempotent: true, timeoutMs: 300 }); // inherited
  });

  it('marks @deprecated methods and services, and lets a subclass override a base method', () => {
    expect(method('version')).toMatchObject({ deprecated: true, idempotent: false });
    expect(method('get').deprecated).toBeUndefined();
    expect(manifest.services[1].deprecated).toBe(true);
    expect(catalog.deprecated).toBeUndefined();
  });

  it('writes what checkManifest accepts', () => {
    expect(checkManifest(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
  });

  it('gives the same document whatever the order of its input files', () => {
    const a = JSON.stringify(extractManifest(ts, [FEATURES, TYPES]));
    const b = JSON.stringify(extractManifest(ts, [TYPES, FEATURES]));
    expect(a).toBe(b);
    expect(a).toBe(JSON.stringify(manifest));
  });
});
