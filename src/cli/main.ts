#!/usr/bin/env node
// The `rivet` executable (package.json "bin"). Everything is in runCli; this file wires the process.
import { readFileSync } from 'node:fs';
import { runCli } from './program';

// After the exit code is known, anything still holding the event loop open (a socket in its
// close handshake) gets this long before the process exits anyway.
const EXIT_GRACE_MS = 2_000;

// `rivet ... | head -1`: the reader left, so nothing more can be said; exit quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => readFileSync(0, 'utf8'),
}).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
});
