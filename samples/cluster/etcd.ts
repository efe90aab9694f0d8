/* Starts a throwaway single-member etcd on loopback ports with a temporary data directory. */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
// etcd cannot listen on port 0 and report the port it got, so we pick free ports by binding them
// briefly; another process may take one first, and then we try again on others.
const START_ATTEMPTS = 3;

/** A running etcd. */
export interface LocalEtcd {
  /** The client URL, `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** Stops etcd and deletes its data directory. */
  stop(): Promise<void>;
}

/** True when an `etcd` executable is on PATH. */
export function etcdInstalled(): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, 'etcd'), fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Starts etcd and resolves once it reports healthy. */
export async function startLocalEtcd(): Promise<LocalEtcd> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'rivet-demo-etcd-'));
    const clientPort = await freePort();
    const peerPort = await freePort();
    const endpoint = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const child = spawn(
      'etcd',
      [
        '--name', 'rivet-demo',
        '--data-dir', dataDir,
        '--listen-client-urls', endpoint,
        '--advertise-client-urls', endpoint,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `rivet-demo=${peer}`,
        '--log-level', 'error',
        '--logger', 'zap',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited(child);
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    };
    try {
      await waitHealthy(endpoint, child);
      return { endpoint, stop };
    } catch (err) {
      lastError = err;
      await stop();
    }
  }
  throw lastError;
}

async function waitHealthy(endpoint: string, child: ChildProcess): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (child.exitCode !== null) throw new Error(`etcd exited with code ${child.exitCode}`);
    if (await healthy(endpoint)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd was not healthy within ${START_TIMEOUT_MS} ms`);
}

function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet(`${endpoint}/health`, { timeout: 500 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
