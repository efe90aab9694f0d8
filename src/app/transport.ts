import type { Logger } from 'pino';
import {
  resolveTlsClientOptions,
  resolveTlsServerOptions,
  TcpTransport,
  type TlsClientOptions,
  TlsTransport,
  type TlsServerOptions,
  type Transport,
} from '../transport';

/**
 * TCP, or TLS when either side has TLS settings. A TLS server logs every refused client with the
 * reason (no certificate, unknown CA, expired) at warn. With client settings alone (an app's
 * `clientTls` without `tls`), it listens on plain TCP and connects over TLS.
 */
export function createTransport(server: TlsServerOptions | undefined, client: TlsClientOptions | undefined, log: Logger, name: string, clientOption: 'tls' | 'clientTls'): Transport {
  if (server === undefined && client === undefined) return new TcpTransport();
  if (server === undefined) {
    const connecting = new TlsTransport({ client: resolveTlsClientOptions(client, `${name}.${clientOption}`) });
    const listening = new TcpTransport();
    return {
      connect: (host, port, opts) => connecting.connect(host, port, opts),
      listen: (host, port, onConnection) => listening.listen(host, port, onConnection),
    };
  }
  return new TlsTransport({
    server: resolveTlsServerOptions(
      {
        ...server,
        onRefused: (reason: string, peer: string, tls: unknown) => log.warn({ peer, tls }, `refusing tls client: ${reason}`),
      },
      `${name}.tls`,
    ),
    client: client === undefined ? undefined : resolveTlsClientOptions(client, `${name}.${clientOption}`),
  });
}
