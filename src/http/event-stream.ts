import type { IncomingMessage, ServerResponse } from 'node:http';

/** How often the dashboard's stream sends a snapshot: once a second. */
export const DASHBOARD_INTERVAL_MS = 1_000;

// How long a browser waits before reconnecting: short while serving, so a crashed and restarted
// app is back on screen fast; longer when this server says goodbye, so the browser's first try
// usually finds the next process listening rather than logging a refused connection.
const RETRY_MS = 1_000;
const GOODBYE_RETRY_MS = 2_000;

// A subscriber that has this much unsent is not reading: drop it rather than buffer for it.
const MAX_BUFFERED_BYTES = 1_048_576;

/**
 * Server-Sent Events for the dashboard: one timer for all subscribers, running only while there
 * are any; each tick builds one snapshot, serializes it once, and writes it to everyone.
 */
export class EventStream {
  private readonly subscribers = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined = undefined;
  private closed = false;

  constructor(
    private readonly produce: () => string,
    private readonly intervalMs = DASHBOARD_INTERVAL_MS,
  ) {}

  /** Subscribers now. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Turns `res` into an event stream and sends the first snapshot at once. */
  attach(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('shutting down\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
      // Tells buffering proxies (nginx) to pass events through as they come.
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.subscribers.add(res);
    res.on('close', () => {
      this.subscribers.delete(res);
      if (this.subscribers.size === 0) this.stopTimer();
    });
    this.send(res, this.produce());
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Ends every stream, telling browsers to come back a little later. */
  close(): void {
    this.closed = true;
    this.stopTimer();
    for (const res of this.subscribers) res.end(`retry: ${GOODBYE_RETRY_MS}\n\n`);
    this.subscribers.clear();
  }

  private tick(): void {
    if (this.subscribers.size === 0) return;
    const data = this.produce();
    for (const res of this.subscribers) this.send(res, data);
  }

  private send(res: ServerResponse, data: string): void {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy();
      return;
    }
    res.write(`data: ${data}\n\n`);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
