import { spawn } from 'node:child_process';
import * as path from 'node:path';

// The built CLI, as `npx rivet` runs it: `npm test` builds dist/ before jest runs.
const MAIN = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
// Generous: on a loaded machine a `rivet manifest` run (the compiler over a whole program) takes
// several times its usual few seconds.
const RUN_TIMEOUT_MS = 90_000;

/** What one run of the `rivet` command line did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in ms. */
  ms: number;
}

/**
 * Runs `node dist/cli/main.js ...args` as a child process and resolves when it has exited.
 * `input` is written to its stdin (closed at once otherwise). RIVET_ADDR is cleared unless given
 * in `env`. A run still going after 90 s is killed (code null), so the promise always settles.
 */
export function rivet(args: readonly string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, RIVET_ADDR: undefined, FORCE_COLOR: '0', ...opts.env };
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The one JSON line a failed call writes to stderr. */
export function stderrError(run: CliRun): { code: string; message: string; details: Record<string, unknown> } {
  return JSON.parse(run.stderr.trim().split('\n').at(-1) ?? '') as { code: string; message: string; details: Record<string, unknown> };
}
