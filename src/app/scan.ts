import * as path from 'node:path';
import { glob } from 'tinyglobby';
import { RivetConfigError, RivetErrorCode } from '../errors';

// The modules a scan imports: compiled JS, or TS when running under ts-node/jest. Declaration
// files and test files are never services.
const MODULE_PATTERN = '**/*.{js,cjs,mjs,ts,cts,mts}';
const IGNORE = ['**/*.d.ts', '**/*.d.cts', '**/*.d.mts', '**/*.test.*', '**/*.spec.*', '**/node_modules/**'];

/**
 * Imports every module under the given directories or glob patterns, so that their `@Service`
 * classes register themselves before the app collects them. Relative entries are resolved from
 * the current working directory. Throws RivetConfigError naming the module that failed.
 */
export async function scanModules(entries: string | readonly string[]): Promise<string[]> {
  const list = typeof entries === 'string' ? [entries] : entries;
  const patterns = list.map((entry) => {
    const abs = path.resolve(entry);
    // A directory means every module below it; anything with glob characters is a glob.
    return /[*?{[]/.test(entry) ? abs.split(path.sep).join('/') : `${abs.split(path.sep).join('/')}/${MODULE_PATTERN}`;
  });
  const found = (await glob(patterns, { ignore: IGNORE, absolute: true })).sort();
  // Compiled output beside its source: import the JavaScript, once.
  const stems = new Set(found.filter((f) => /\.[cm]?js$/.test(f)).map((f) => f.replace(/\.[cm]?js$/, '')));
  const files = found.filter((f) => !(/\.[cm]?ts$/.test(f) && stems.has(f.replace(/\.[cm]?ts$/, ''))));
  for (const file of files) {
    try {
      await import(file);
    } catch (err) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SCAN, `scan could not import ${file}: ${(err as Error).message}`);
    }
  }
  return files;
}
