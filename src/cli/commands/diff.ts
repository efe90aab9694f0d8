import { readFileSync } from 'node:fs';
import { checkManifest, type ContractManifest } from '../../manifest';
import { diffManifests } from '../diff/diff-rules';
import { diffReport, formatDiffText } from '../diff/diff-format';
import { CliFailure, EXIT_FAILURE, EXIT_OK, UsageError } from '../exit-codes';
import { parseJsonOrExplain } from '../json-args';
import type { Output } from '../output';

function readManifest(file: string): ContractManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliFailure(`cannot read ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseJsonOrExplain(text, file);
  } catch (err) {
    throw new CliFailure((err as UsageError).message);
  }
  try {
    return checkManifest(value, file);
  } catch (err) {
    throw new CliFailure((err as Error).message.replace(/^RIVET_ERR_[A-Z_]+: /, ''));
  }
}

/** Compares two manifests; exits 1 when any finding is an ERR, 0 otherwise. */
export function runDiff(oldFile: string, newFile: string, format: string, out: Output): number {
  const report = diffReport(diffManifests(readManifest(oldFile), readManifest(newFile)));
  if (format === 'json') out.json(report);
  else out.text(formatDiffText(report));
  return report.summary.ERR > 0 ? EXIT_FAILURE : EXIT_OK;
}
