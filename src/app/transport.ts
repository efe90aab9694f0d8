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
 * reason (no certificate, unknown CA, expired) at warn.
 */
export function createTransport(server: TlsServerOptions | undefined, client: TlsClientOptions | undefined, log: Logger, name: string): Transport {
  if (server === undefined && client === undefined) return new TcpTransport();
  return new TlsTransport({
    server:
      server === undefined
        ? undefined
        : resolveTlsServerOptions(
            {
              ...server,
              onRefused: (reason: string, peer: string, tls: unknown) => log.warn({ peer, tls }, `refusing tls client: ${reason}`),
            },
            `${name}.tls`,
          ),
    client: client === undefined ? undefined : resolveTlsClientOptions(client, server === undefined ? `${name}.tls` : `${name}.clientTls`),
  });
}
