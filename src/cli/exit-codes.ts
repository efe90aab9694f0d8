import { RPC_CODES, type RpcCode } from '../errors';

/** Success. */
export const EXIT_OK = 0;
/** Anything that is not an RPC failure or a usage error: a breaking diff, a manifest that cannot be written, NOT_SERVING. */
export const EXIT_FAILURE = 1;
/** The command line is wrong: unknown flag, missing argument, malformed ARGS_JSON. */
export const EXIT_USAGE = 2;
/** An RPC failure exits with this plus the gRPC number of its code (as grpcurl does). */
export const EXIT_RPC_BASE = 64;

/** The exit code of a call that failed with `code`: 64 + its gRPC number (NOT_FOUND exits 69). */
export function exitCodeOf(code: RpcCode): number {
  // RPC_CODES is in wire-number order, starting at 1 (CANCELLED).
  return EXIT_RPC_BASE + RPC_CODES.indexOf(code) + 1;
}

/** A mistake on the command line; exits 2 with its message on stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure that is not an RPC one (exit 1 unless told otherwise), with its message on stderr. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** The exit code table, as `rivet --help` and docs/cli.md print it. */
export function exitCodeTable(): string {
  const rows = [
    ['0', 'success (health: every service SERVING; diff: no ERR finding)'],
    ['1', 'any other failure (diff found an ERR, health saw NOT_SERVING, a file could not be read)'],
    ['2', 'usage error (unknown flag, missing argument, malformed ARGS_JSON)'],
    ...RPC_CODES.map((code) => [String(exitCodeOf(code)), code]),
  ];
  return rows.map(([n, what]) => `  ${n.padStart(3)}  ${what}`).join('\n');
}
