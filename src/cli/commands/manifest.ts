import { writeFileSync } from 'node:fs';
import { globSync } from 'tinyglobby';
import { CliFailure, UsageError } from '../exit-codes';
import { extractManifest } from '../manifest/extract-manifest';
import { loadTypeScript } from '../manifest/load-typescript';
import { type Output, toJson } from '../output';

/** The .ts files the operands name: paths as they are, globs expanded; sorted, without duplicates. */
function expand(patterns: readonly string[]): string[] {
  const files = new Set<string>();
  for (const p of patterns) {
    const matches = /[*?{}[\]]/.test(p) ? globSync(p, { onlyFiles: true }) : [p];
    for (const f of matches) if (/\.(m|c)?tsx?$/.test(f) && !f.endsWith('.d.ts')) files.add(f);
  }
  if (files.size === 0) throw new UsageError(`no TypeScript source matches ${patterns.map((p) => JSON.stringify(p)).join(' ')}`);
  return [...files].sort();
}

/**
 * Writes the manifest of the `@Service` classes in the given sources to `outFile`, or to stdout.
 * The same sources always give the same bytes.
 */
export function runManifest(patterns: readonly string[], outFile: string | undefined, out: Output): number {
  const files = expand(patterns);
  const ts = loadTypeScript();
  const manifest = extractManifest(ts, files);
  if (manifest.services.length === 0) out.warn(`no @Service class found in ${files.length} ${files.length === 1 ? 'file' : 'files'}`);
  const text = toJson(manifest);
  if (outFile === undefined || outFile === '-') out.text(text);
  else {
    try {
      writeFileSync(outFile, text);
    } catch (err) {
      throw new CliFailure(`cannot write ${outFile}: ${(err as Error).message}`);
    }
    out.note(`wrote ${manifest.services.length} ${manifest.services.length === 1 ? 'service' : 'services'} to ${outFile}`);
  }
  return 0;
}
