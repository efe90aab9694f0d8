import { CliFailure } from '../exit-codes';

/** The TypeScript compiler API module. */
export type TypeScriptApi = typeof import('typescript');

/**
 * Loads `typescript` from the user's project, only when `rivet manifest` runs: it is an optional
 * peer dependency, so calling, listing and benchmarking need nothing but rivet-rpc. Throws
 * CliFailure saying how to install it.
 */
export function loadTypeScript(): TypeScriptApi {
  try {
    // A require kept lazy on purpose: an import would load the compiler for every command.
    return require('typescript') as TypeScriptApi;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    throw new CliFailure('rivet manifest reads your sources with the TypeScript compiler, and `typescript` is not installed here; install it with `npm install --save-dev typescript`.');
  }
}
