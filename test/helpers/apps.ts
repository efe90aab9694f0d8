import { createApp, createClient, isRpcError, MemoryRegistry, type App, type AppOptions, type ClientOptions, type RpcError } from '../../src';
import type { Client } from '../../src';

/** Apps and clients a test made, closed together in afterEach so no socket outlives a test. */
export class Harness {
  private readonly apps: App[] = [];
  private readonly clients: Client[] = [];
  /** A registry of this test's own, so tests never see each other's instances. */
  readonly registry = new MemoryRegistry();

  /** Creates an app on this harness's registry (unless given another) and listens on 127.0.0.1:0. */
  async serve(opts: AppOptions): Promise<{ app: App; port: number; address: string; httpPort: number | undefined }> {
    const app = await createApp({ logger: false, registry: this.registry, ...opts });
    this.apps.push(app);
    const { port, httpPort } = await app.listen(0, '127.0.0.1');
    return { app, port, address: `127.0.0.1:${port}`, httpPort };
  }

  /** A client on this harness's registry, unless endpoints or another registry are given. */
  client(opts: ClientOptions = {}): Client {
    const c = createClient({ logger: false, ...(opts.endpoints ? {} : { registry: this.registry }), ...opts });
    this.clients.push(c);
    return c;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await Promise.all(this.apps.map((a) => a.close({ drainTimeoutMs: 1_000 })));
    this.apps.length = 0;
    this.clients.length = 0;
  }
}

/** Polls `cond` until it is true and resolves with the ms that took, or fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Settles with the call's error, or fails the test if it resolves; returns the error and when it came. */
export async function failure(p: Promise<unknown>): Promise<{ err: RpcError; at: number }> {
  try {
    await p;
  } catch (err) {
    return { err: err as RpcError, at: performance.now() };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Settles `p` into its RpcError; fails when it resolves or rejects with something else. */
export async function rejection(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  if (!isRpcError(err)) throw err;
  return err;
}

/** 'OK' when the call succeeds, else its RpcCode; anything but an RpcError fails the test. */
export async function outcomeCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (!isRpcError(err)) throw err;
    return err.code;
  }
}
