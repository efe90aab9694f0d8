import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

// Plain JS on the compiled dist/: `npm test` builds it before jest runs.
const CHILD_SERVER = path.join(__dirname, '..', 'fixtures', 'child-server.js');

/** A Rivet server in a child process (test/fixtures/child-server.js), for tests that kill or freeze a real peer. */
export interface ChildServer {
  port: number;
  address: string;
  child: ChildProcess;
  /** Resolves when the process has exited and its pipes have closed. */
  closed: Promise<void>;
}

/**
 * Starts child-server.js on 127.0.0.1 (`port`, 0 for any) and resolves once it prints the port it
 * listens on. `script` runs another fixture with the same contract (and `args` after it).
 */
export async function startChildServer(port = 0, script = CHILD_SERVER, args: string[] = [String(port)]): Promise<ChildServer> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const bound = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('child server did not start within 10 s')), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited (${code}) before it listened`));
    });
  });
  return { port: bound, address: `127.0.0.1:${bound}`, child, closed };
}

/** Kills the child (if it still runs) and waits until it is gone. */
export async function stopChildServer(s: ChildServer): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await s.closed;
}
