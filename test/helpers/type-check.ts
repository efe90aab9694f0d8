import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Type-checks one test file with the project's tsconfig and returns its own diagnostics, formatted
 * ('' when there are none). Only that file's: checking all of src/ again would only repeat
 * `npm run typecheck`. Type tests assert on it, so an `@ts-expect-error` that finds no error fails.
 */
export function typeErrorsOf(file: string): string {
  const root = path.join(__dirname, '..', '..');
  const configPath = path.join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, { noEmit: true }, configPath);
  const program = ts.createProgram({ rootNames: [file], options: parsed.options });
  const self = program.getSourceFile(file);
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(self), ...program.getSemanticDiagnostics(self)];
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  return ts.formatDiagnostics(diagnostics, host);
}
