import { encodeFrame, FrameType } from '../protocol';

/** How a connection watches its peer. Every field is optional; a missing one turns that check off. */
export interface LivenessOptions {
  /** Send a PING after this long without receiving anything. */
  keepaliveIntervalMs?: number;
  /** Close the connection when nothing arrives this long after a PING. */
  keepaliveTimeoutMs?: number;
  /** Close the connection after this long without receiving anything while `isBusy()` is false. */
  idleTimeoutMs?: number;
  /** True while calls are in flight: a busy connection is never idle. */
  isBusy?: () => boolean;
}

/** What Liveness needs from its connection. */
export interface LivenessHost {
  send(frame: Buffer): void;
  destroy(reason: string): void;
  end(): void;
}

const PING = encodeFrame(FrameType.PING, 0, 0) as Buffer;

/** How the close reason of a connection whose peer stopped answering pings begins. */
export const KEEPALIVE_TIMEOUT_REASON = 'keepalive timeout';

/**
 * Keepalive pings and idle closing for one connection, on one unref'd timer. Anything received
 * counts as a sign of life (a PONG, a reply, a request), so a busy connection sends no pings. A
 * peer that stops answering (a dead host, a frozen process) is caught by the ping timeout, and
 * the connection is destroyed: its owner then settles every call on it.
 */
export class Liveness {
  private lastReadAt = performance.now();
  private pingSentAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: LivenessHost,
    private readonly opts: LivenessOptions,
  ) {
    const periods = [opts.keepaliveIntervalMs, opts.idleTimeoutMs, opts.keepaliveTimeoutMs].filter((v): v is number => v !== undefined);
    if (periods.length === 0) return;
    // Check often enough to honour the shortest period within about a quarter of it.
    const tickMs = Math.max(5, Math.floor(Math.min(...periods) / 4));
    this.timer = setInterval(() => this.check(), tickMs);
    this.timer.unref();
  }

  /** Something arrived from the peer. */
  onRead(): void {
    this.lastReadAt = performance.now();
    this.pingSentAt = 0;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = performance.now();
    const quietMs = now - this.lastReadAt;
    const { keepaliveIntervalMs, keepaliveTimeoutMs, idleTimeoutMs, isBusy } = this.opts;
    if (this.pingSentAt !== 0 && keepaliveTimeoutMs !== undefined && now - this.pingSentAt >= keepaliveTimeoutMs) {
      this.stop();
      this.host.destroy(`${KEEPALIVE_TIMEOUT_REASON}: no reply to a ping within ${keepaliveTimeoutMs} ms`);
      return;
    }
    if (idleTimeoutMs !== undefined && quietMs >= idleTimeoutMs && !(isBusy?.() ?? false)) {
      this.stop();
      this.host.end();
      return;
    }
    if (keepaliveIntervalMs !== undefined && this.pingSentAt === 0 && quietMs >= keepaliveIntervalMs) {
      this.pingSentAt = now;
      this.host.send(PING);
    }
  }
}
