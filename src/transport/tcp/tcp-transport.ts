import * as net from 'node:net';
import { formatAddress } from '../../util';
import { StreamConnection } from '../stream-connection';
import type { ConnectOptions, Connection, Listener, Transport } from '../transport';

/** Plain TCP. Nagle is off: frames are already batched by the outbox, so waiting only adds latency. */
export class TcpTransport implements Transport {
  connect(host: string, port: number, opts?: ConnectOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const signal = opts?.signal;
      if (signal?.aborted) {
        reject(new Error('connect aborted'));
        return;
      }
      const socket = net.connect({ host, port, noDelay: true });
      const onAbort = () => {
        socket.destroy();
        reject(new Error('connect aborted'));
      };
      const onError = (err: Error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => {
        signal?.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        resolve(new StreamConnection(socket, formatAddress(host, port)));
      });
    });
  }

  listen(host: string, port: number, onConnection: (conn: Connection) => void): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
        onConnection(new StreamConnection(socket, formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0)));
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        // A listener error after bind (EMFILE on accept) must not crash the process.
        server.on('error', () => {});
        const addr = server.address() as net.AddressInfo;
        resolve({
          host: addr.address,
          port: addr.port,
          // close() stops accepting at once; the handle finishes closing when the last
          // connection ends, which the server side of Rivet drives itself.
          close: async () => {
            if (server.listening) server.close();
          },
        });
      });
    });
  }
}
