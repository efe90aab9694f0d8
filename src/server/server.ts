import type { Logger } from 'pino';
import { Admission, type ResolvedAdmission, type ServerLoad } from '../admission';
import type { Middleware } from '../call';
import { ErrorReason, RivetConfigError, RivetErrorCode, RpcError } from '../errors';
import type { CodecName } from '../protocol';
import type { Connection, Listener, Transport } from '../transport';
import { Dispatcher, type InProcessCall } from './dispatcher';
import { callThroughAdmission } from './in-process-admission';
import { ServerConnection } from './server-connection';
import { DEFAULT_MAX_STREAMS_PER_CONNECTION } from './server-streams';
import { DEFAULT_STREAM_WINDOW, type ResolvedStreamWindow } from '../stream';
import type { ServiceDefinition } from './service-definition';

/** Default time `close()` lets in-flight calls finish: 10 seconds. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

// After the drain, connections get this long to flush their last replies before they are cut.
const CLOSE_GRACE_MS = 1_000;

/** What a Server is built from; app/ validates user options before they get here. */
export interface ServerOptions {
  transport: Transport;
  services: readonly ServiceDefinition[];
  /** Global stages, outermost. */
  middlewares: readonly Middleware[];
  /** Codecs a client may pick, in the server's order of preference. */
  allowedCodecs: readonly CodecName[];
  maxFrameBytes: number;
  exposeErrorStack: boolean;
  logger: Logger;
  /** Connection limits; unset fields are off. */
  limits: ServerLimits;
  /** Pings on quiet connections, to find dead clients. */
  keepalive: { intervalMs: number; timeoutMs: number } | false;
  /** List services and method facts in the HELLO_ACK. Default true; false lists none. */
  advertiseMethods?: boolean;
  /** The flow-control window granted to each stream's input. Default 32 messages / 1 MiB. */
  streamWindow?: ResolvedStreamWindow;
  /** Overload protection (docs/overload.md); false runs every request as it arrives. Default on. */
  admission?: ResolvedAdmission | false;
}

/** Limits a server enforces per process and per connection. */
export interface ServerLimits {
  /** Connections beyond this are closed at once, with a logged reason. */
  maxConnections?: number;
  /** Calls in flight on one connection beyond this are answered RESOURCE_EXHAUSTED, not run. */
  maxInFlightPerConnection?: number;
  /** A connection with no call in flight and nothing received for this long is closed. */
  idleTimeoutMs?: number;
  /** Open streams on one connection beyond this are answered RESOURCE_EXHAUSTED, not opened. Default 100. */
  maxStreamsPerConnection?: number;
}

/**
 * Serves services over a transport: accepts connections, routes requests through the
 * dispatcher, and drains gracefully on close.
 */
export class Server {
  private readonly dispatcher: Dispatcher;
  private readonly connections = new Set<ServerConnection>();
  private listener: Listener | null = null;
  private closing: Promise<void> | null = null;
  private readonly connectionOptions;
  /** The server's overload protection; null with `admission: false`. */
  readonly admission: Admission | null;
  /** In-process calls running now (the HTTP gateway's), so a drain waits for them and can abort them. */
  private readonly inProcess = new Set<(err: RpcError) => void>();
  private inProcessIdle: Array<() => void> = [];
  private readonly inProcessTracker = {
    add: (stop: (err: RpcError) => void): void => {
      this.inProcess.add(stop);
    },
    delete: (stop: (err: RpcError) => void): void => {
      this.inProcess.delete(stop);
      if (this.inProcess.size === 0 && this.inProcessIdle.length > 0) {
        const waiters = this.inProcessIdle;
        this.inProcessIdle = [];
        for (const w of waiters) w();
      }
    },
  };

  /** Throws RivetConfigError when two services share a name. */
  constructor(private readonly opts: ServerOptions) {
    this.dispatcher = new Dispatcher(opts.services, opts.middlewares);
    this.admission = opts.admission === undefined || opts.admission === false ? null : new Admission(opts.admission);
    this.connectionOptions = {
      admission: this.admission,
      dispatcher: this.dispatcher,
      allowedCodecs: opts.allowedCodecs,
      maxFrameBytes: opts.maxFrameBytes,
      exposeErrorStack: opts.exposeErrorStack,
      logger: opts.logger,
      maxInFlightPerConnection: opts.limits.maxInFlightPerConnection,
      advertised: opts.advertiseMethods === false ? {} : this.dispatcher.descriptors,
      streams: {
        window: opts.streamWindow ?? DEFAULT_STREAM_WINDOW,
        maxStreamsPerConnection: opts.limits.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION,
      },
      liveness: {
        keepaliveIntervalMs: opts.keepalive === false ? undefined : opts.keepalive.intervalMs,
        keepaliveTimeoutMs: opts.keepalive === false ? undefined : opts.keepalive.timeoutMs,
        idleTimeoutMs: opts.limits.idleTimeoutMs,
      },
    };
  }

  /** The names of the services this server routes to. */
  get serviceNames(): string[] {
    return this.dispatcher.serviceNames;
  }

  /** True when this server routes `service.method`. */
  hasMethod(service: string, method: string): boolean {
    return this.dispatcher.lookup(service, method) !== undefined;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** The server's load now (app.load()). With admission off: calls in flight and event-loop utilization only. */
  load(): ServerLoad {
    if (this.admission !== null) return this.admission.load();
    let concurrency = 0;
    for (const sc of this.connections) concurrency += sc.inFlightCount;
    const elu = performance.eventLoopUtilization(performance.eventLoopUtilization(), this.eluBase).utilization;
    return { concurrency, limit: Infinity, queued: 0, shedPerSecond: 0, eventLoopUtilization: elu };
  }

  private readonly eluBase = performance.eventLoopUtilization();

  /**
   * Runs a call in this process through the same composed chain as a call from the wire (see
   * {@link Dispatcher.callInProcess}). Once the server is closing, rejects UNAVAILABLE (not
   * processed, reason SERVER_DRAINING) without running anything; calls already running are waited
   * for by the drain, and aborted with SERVER_SHUTDOWN when it times out. With admission on, the
   * call is admitted, queued or refused as a call from the wire is (in-process-admission.ts).
   */
  callInProcess(call: InProcessCall): Promise<unknown> {
    if (this.closing !== null) {
      return Promise.reject(
        new RpcError('UNAVAILABLE', 'server is draining; send the call elsewhere', { reason: ErrorReason.SERVER_DRAINING }, { notProcessed: true }),
      );
    }
    // Through admission as a wire call goes: an overloaded server refuses JSON callers too.
    if (this.admission !== null) return callThroughAdmission(this.admission, this.dispatcher, call, this.inProcessTracker);
    return this.dispatcher.callInProcess(call, this.inProcessTracker);
  }

  /** Binds and starts accepting. Port 0 picks an ephemeral port; the bound address is returned. */
  async listen(port: number, host: string): Promise<{ host: string; port: number }> {
    if (this.listener !== null || this.closing !== null) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_STATE, 'listen() was already called on this app; create another app to serve on a second port.');
    }
    this.listener = await this.opts.transport.listen(host, port, (conn) => this.accept(conn));
    return { host: this.listener.host, port: this.listener.port };
  }

  /**
   * Undoes a listen() whose app could not start (its registry refused it): stops accepting,
   * cuts the connections already accepted, and releases the port, so listen() may be called
   * again once the cause is fixed.
   */
  async unlisten(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    await listener?.close();
    for (const sc of this.connections) sc.conn.destroy('the server did not start');
    await Promise.all([...this.connections].map((sc) => sc.whenClosed));
  }

  /**
   * Stops accepting connections, tells connected clients to go elsewhere, waits for in-flight
   * calls (up to `drainTimeoutMs`), aborts what is left, and closes every connection.
   * Idempotent: a second call returns the first one's promise.
   */
  close(drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
    this.closing ??= this.drainAndClose(drainTimeoutMs);
    return this.closing;
  }

  /** Stops accepting new connections; existing ones keep working. */
  async stopAccepting(): Promise<void> {
    await this.listener?.close();
  }

  private accept(conn: Connection): void {
    if (this.closing !== null) {
      conn.destroy('server is closing');
      return;
    }
    const max = this.opts.limits.maxConnections;
    if (max !== undefined && this.connections.size >= max) {
      this.opts.logger.warn({ peer: conn.remoteAddress, maxConnections: max }, 'refusing connection: maxConnections reached');
      conn.destroy('maxConnections reached');
      return;
    }
    this.connections.add(new ServerConnection(conn, this.connectionOptions, (sc) => this.connections.delete(sc)));
  }

  private async drainAndClose(drainTimeoutMs: number): Promise<void> {
    await this.stopAccepting();
    for (const sc of this.connections) sc.beginDrain();
    const inProcessIdle = this.inProcess.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.inProcessIdle.push(resolve));
    const idle = Promise.all([...[...this.connections].map((sc) => sc.whenIdle()), inProcessIdle]);
    const drained = await raceTimeout(idle, drainTimeoutMs);
    if (!drained) {
      this.opts.logger.warn({ drainTimeoutMs }, 'drain timed out; aborting calls still running');
      for (const sc of this.connections) sc.abortAll();
      for (const stop of [...this.inProcess]) stop(new RpcError('UNAVAILABLE', 'server shut down before the call finished', { reason: ErrorReason.SERVER_SHUTDOWN }));
    }
    const closed = Promise.all([...this.connections].map((sc) => sc.whenClosed));
    // A client that got our DRAIN ends the connection itself once its last call is answered. Until
    // then a request it sent before the DRAIN reached it may still arrive, and must be refused as
    // not processed so the client sends it elsewhere: ending our side first would drop that refusal
    // and fail the call with CONNECTION_LOST. A connection still in its handshake has no call in flight.
    for (const sc of this.connections) if (!sc.handshakeDone) sc.conn.end();
    if (!(await raceTimeout(closed, CLOSE_GRACE_MS))) {
      for (const sc of this.connections) sc.conn.destroy('close grace period over');
      await closed;
    }
    this.admission?.close();
  }
}

/** Resolves true when `p` settles first, false when `ms` passes first; leaves no timer behind. */
async function raceTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
