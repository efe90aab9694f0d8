import { pino } from 'pino';
import type { CallContext } from '../../../src/call';
import { Client, type ClientPolicy } from '../../../src/client';
import { type Instance, MemoryRegistry } from '../../../src/discovery';
import { RivetConfigError, RivetErrorCode } from '../../../src/errors';
import { Server } from '../../../src/server';
import { MemoryNetwork, MemoryTransport } from '../../../src/transport';

const silent = pino({ level: 'silent' });

/** A handler of the 'Peer' service, told which instance runs it. */
export type PeerHandler = (ctx: CallContext, host: string) => unknown;

export interface PeerInstance {
  host: string;
  address: string;
  server: Server;
  instance: Instance;
}

/**
 * Servers of one service, 'Peer', on a memory network with a registry of their own, and clients
 * that find them there: the real Server, Client, router, channels and codecs, and no sockets.
 */
export class MemoryCluster {
  readonly network = new MemoryNetwork();
  readonly registry = new MemoryRegistry();
  readonly transport = new MemoryTransport(this.network);
  private readonly servers: Server[] = [];
  private readonly clients: Client[] = [];

  /** Serves 'Peer' with `methods` on `host` (a fresh port) and registers it. */
  async serve(host: string, methods: Record<string, PeerHandler>, idempotent = true): Promise<PeerInstance> {
    const server = new Server({
      transport: this.transport,
      services: [
        {
          name: 'Peer',
          middlewares: [],
          methods: Object.entries(methods).map(([name, fn]) => ({ name, handler: (ctx: CallContext) => fn(ctx, host), idempotent, middlewares: [] })),
        },
      ],
      middlewares: [],
      allowedCodecs: ['msgpack'],
      maxFrameBytes: 1 << 20,
      exposeErrorStack: false,
      logger: silent,
      limits: {},
      keepalive: false,
    });
    this.servers.push(server);
    const { port } = await server.listen(0, host);
    const instance: Instance = { id: `${host}-${port}`, service: 'Peer', host, port, weight: 1, metadata: {} };
    await this.registry.register(instance);
    return { host, address: `${host}:${port}`, server, instance };
  }

  /** A client whose default policy is `policy`; call it by name: `client.invoke('Peer', method)`. */
  client(policy: ClientPolicy = {}): Client {
    const client = new Client({
      registry: this.registry,
      transport: this.transport,
      codec: 'msgpack',
      globalInterceptors: [],
      resolveInterceptor: (i) => i as never,
      resolveContract: () => {
        throw new RivetConfigError(RivetErrorCode.RIVET_ERR_SERVICE, 'these tests call by name');
      },
      logger: silent,
      maxFrameBytes: 1 << 20,
      connectTimeoutMs: 5_000,
      defaultPolicy: policy,
      keepalive: false,
    });
    this.clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
    await Promise.all(this.servers.splice(0).map((s) => s.close(200)));
    await this.registry.close();
  }
}

/** A handler that never answers on its own: it rejects with the call's abort reason, and records it. */
export function hangUntilAborted(seen: unknown[]): PeerHandler {
  return (ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener(
        'abort',
        () => {
          seen.push(ctx.signal.reason);
          reject(ctx.signal.reason);
        },
        { once: true },
      );
    });
}
