// cli/: the `rivet` command line (ls, describe, call, health, bench, manifest, diff). The top layer:
// it uses the public API (index.ts) and the folders' indexes like any application would; nothing
// imports it. Only its results go to stdout.
export { runCli } from './program';
export { exitCodeOf, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_RPC_BASE } from './exit-codes';
export { DIFF_RULES, diffManifests, type DiffRule, type Finding, type Severity } from './diff/diff-rules';
