import type { ConnectOptions, Connection, Listener, Transport } from '../transport';
import { MemoryNetwork } from './memory-network';

/**
 * A Transport whose connections are in-process pairs on a {@link MemoryNetwork}: no sockets, no
 * ports, the same framing, batching, half-close and keepalive as TCP (it runs the same
 * StreamConnection over an in-memory duplex). For fast, deterministic tests; Rivet's testing kit
 * (`createTestApp`) serves apps over it.
 *
 * Errors follow TCP's: connecting where nothing listens rejects with an Error whose `code` is
 * `ECONNREFUSED`; listening on a taken address rejects with `EADDRINUSE`; a dropped link closes
 * both ends with `ECONNRESET`.
 */
export class MemoryTransport implements Transport {
  /**
   * @param network where listeners and links live; transports that must reach each other share
   * one. Default: a network of this transport's own.
   */
  constructor(readonly network: MemoryNetwork = new MemoryNetwork()) {}

  async connect(host: string, port: number, opts?: ConnectOptions): Promise<Connection> {
    // A connect completes in a later turn, as a socket's does; an abort before then wins.
    await Promise.resolve();
    if (opts?.signal?.aborted) throw new Error('connect aborted');
    return this.network.connect(host, port);
  }

  async listen(host: string, port: number, onConnection: (conn: Connection) => void): Promise<Listener> {
    const bound = this.network.bind(host, port, onConnection);
    let open = true;
    return {
      host: bound.host,
      port: bound.port,
      close: async () => {
        if (!open) return;
        open = false;
        this.network.unbind(bound);
      },
    };
  }
}
