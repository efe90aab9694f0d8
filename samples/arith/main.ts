/* Runs the arith sample across two processes: starts server.js, then client.js against it. */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

async function main(): Promise<void> {
  const server = spawn(process.execPath, [path.join(__dirname, 'server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: server.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  console.log(`server process ${server.pid} listening on 127.0.0.1:${port}`);
  const client = spawnSync(process.execPath, [path.join(__dirname, 'client.js'), `127.0.0.1:${port}`], { stdio: 'inherit' });
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  process.exitCode = client.status ?? 1;
}

void main();
