import { readFileSync } from 'node:fs';
import { parse as parseLenient, type ParseError, printParseErrorCode } from 'jsonc-parser';
import { UsageError } from './exit-codes';

/** Where in `text` the offset falls, 1-based, for messages a person can act on. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/**
 * Parses JSON strictly; on failure, throws a UsageError saying where it broke (line, column,
 * offset and what was expected). `what` names the input (`ARGS_JSON`, `-d @args.json`).
 */
export function parseJsonOrExplain(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse on Node 20 often names no position; jsonc-parser's scanner does.
    const errors: ParseError[] = [];
    parseLenient(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (first === undefined) throw new UsageError(`${what} is not valid JSON`);
    const { line, column } = lineAndColumn(text, first.offset);
    const near = JSON.stringify(text.slice(Math.max(0, first.offset - 10), first.offset + 10));
    throw new UsageError(`${what} is not valid JSON: ${printParseErrorCode(first.error)} at line ${line}, column ${column} (offset ${first.offset}), near ${near}`);
  }
}

/**
 * The positional arguments of a call: the ARGS_JSON operand, or `-d @file` / `-d @-` (stdin), or
 * `-d '<json>'`; none of them means no arguments. Throws UsageError for both at once, a file that
 * cannot be read, malformed JSON, or JSON that is not an array.
 */
export function readCallArgs(operand: string | undefined, data: string | undefined, readStdin: () => string): unknown[] {
  if (operand !== undefined && data !== undefined) throw new UsageError('give the arguments once: either ARGS_JSON or -d, not both');
  let text: string;
  let what: string;
  if (data !== undefined) {
    if (data === '@-') {
      text = readStdin();
      what = '-d @- (stdin)';
    } else if (data.startsWith('@')) {
      what = `-d ${data}`;
      try {
        text = readFileSync(data.slice(1), 'utf8');
      } catch (err) {
        throw new UsageError(`${what}: cannot read the file: ${(err as Error).message}`);
      }
    } else {
      text = data;
      what = '-d';
    }
  } else if (operand !== undefined) {
    text = operand;
    what = 'ARGS_JSON';
  } else {
    return [];
  }
  const value = parseJsonOrExplain(text, what);
  if (!Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON array of the positional arguments, e.g. '[7, 8]' (got ${value === null ? 'null' : typeof value})`);
  }
  return value;
}
