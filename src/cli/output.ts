import type { RpcError } from '../errors';

/** Where the CLI writes: results to `stdout`, everything else to `stderr`. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  /** Reads all of stdin (for `-d @-`). */
  readStdin(): string;
}

// Values JSON cannot hold as they are: bigints become strings, as most JSON APIs send them.
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A value as one JSON document, newline-terminated: indented by `indent` spaces (0: one line); `undefined` prints as `null`. */
export function toJson(value: unknown, indent = 2): string {
  return `${JSON.stringify(value === undefined ? null : value, replacer, indent === 0 ? undefined : indent)}\n`;
}

/** The JSON error document a failed call prints on stderr: `{ code, message, details }` on one line. */
export function errorJson(err: RpcError): string {
  return toJson({ code: err.code, message: err.message, details: err.details ?? {} }, 0);
}

/** Writes results, errors and diagnostics to the right stream. */
export class Output {
  constructor(readonly io: CliIo) {}

  /** One JSON document on stdout. */
  json(value: unknown, indent = 2): void {
    this.io.stdout.write(toJson(value, indent));
  }

  /** Text on stdout (a table, a description); a newline is added when missing. */
  text(s: string): void {
    this.io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  }

  /** The JSON error of a failed call, on stderr. */
  rpcError(err: RpcError): void {
    this.io.stderr.write(errorJson(err));
  }

  /** A diagnostic line on stderr, prefixed `rivet: `. */
  note(message: string): void {
    this.io.stderr.write(`rivet: ${message}\n`);
  }

  /** A warning line on stderr. */
  warn(message: string): void {
    this.io.stderr.write(`rivet: warning: ${message}\n`);
  }
}

/** Left-aligned columns separated by two spaces, headers first. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
