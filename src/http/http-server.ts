import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Router } from './router';

/** TLS settings of the HTTP server: the app's own `tls`. */
export interface HttpTls {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
  requestCert?: boolean;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

// Headers must arrive within this; a body has the gateway's own `bodyTimeoutMs` on top.
const HEADERS_TIMEOUT_MS = 10_000;
// How often Node looks for requests past those timeouts. Its default, 30 s, would let a stalled
// request hold its connection three times longer than the 10 s promised.
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
// After close(), requests still being answered get this long before their connections are cut.
const CLOSE_GRACE_MS = 1_000;

/**
 * The app's HTTP server: binds with `start`, and on `stop` ends the dashboard's streams, stops
 * accepting, lets requests being answered finish (briefly), and closes every connection, idle
 * keep-alive ones included, so that nothing holds the process open.
 */
export class HttpServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private active = 0;
  private stopping: Promise<void> | null = null;

  /** `headersTimeoutMs` is for tests; apps get 10 s. */
  constructor(
    private readonly router: Router,
    tls: HttpTls | undefined,
    bodyTimeoutMs: number,
    headersTimeoutMs = HEADERS_TIMEOUT_MS,
  ) {
    const options: http.ServerOptions = {
      headersTimeout: headersTimeoutMs,
      // A backstop for routes other than the gateway's, which times its bodies itself.
      requestTimeout: headersTimeoutMs + bodyTimeoutMs + 1_000,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, headersTimeoutMs),
    };
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.active++;
      res.once('close', () => this.active--);
      this.router.handle(req, res);
    };
    this.server =
      tls === undefined
        ? http.createServer(options, handler)
        : https.createServer({ ...options, ...tls, rejectUnauthorized: tls.requestCert === true }, handler);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Malformed requests, oversized headers and header timeouts get Node's own answers (400, 431,
    // 408) and a closed connection; nothing of them reaches the router.
  }

  /** Binds and starts serving; resolves with the bound address. Rejects when the port is taken. */
  start(port: number, host: string): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address === null || typeof address === 'string') return reject(new Error('http server has no TCP address'));
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stops serving. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.router.events?.close();
    if (!this.server.listening) {
      for (const s of this.sockets) s.destroy();
      return;
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const started = Date.now();
    while (this.active > 0 && Date.now() - started < CLOSE_GRACE_MS) await new Promise((r) => setTimeout(r, 20));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
