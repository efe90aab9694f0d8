import { pino } from 'pino';
import { type Channel, type ChannelOptions } from '../../../src/client/connection/channel';
import { ClientCall } from '../../../src/client/client-call';
import type { RpcCode } from '../../../src/errors';
import {
  decodeRequest,
  encodeErrorFramed,
  encodeFrame,
  encodeHandshake,
  finishFrame,
  FrameType,
  MsgpackCodec,
  type RequestMessage,
} from '../../../src/protocol';
import { type Connection, MemoryTransport } from '../../../src/transport';

export const silentLogger = pino({ level: 'silent' });

/** Channel options over `transport`, keepalive off unless given. */
export function channelOptions(transport: MemoryTransport, overrides: Partial<ChannelOptions> = {}): ChannelOptions {
  return { transport, codecs: ['msgpack'], maxFrameBytes: 1 << 20, connectTimeoutMs: 5_000, logger: silentLogger, keepalive: false, ...overrides };
}

/** A client call of `Peer.method`, as the client pipeline would hand it to a channel. */
export function clientCall(method: string, args: unknown[] = [], deadline?: number): ClientCall {
  return new ClientCall('Peer', method, args, {}, deadline, true, true);
}

/** Settles a channel call into 'value' or its error code and reason, so tests can compare outcomes. */
export function outcome(p: Promise<unknown>): Promise<{ value?: unknown; code?: string; reason?: unknown; notProcessed?: boolean; message?: string }> {
  return p.then(
    (value) => ({ value }),
    (err: { code: string; details?: { reason?: unknown }; notProcessed?: boolean; message: string }) => ({
      code: err.code,
      reason: err.details?.reason,
      notProcessed: err.notProcessed,
      message: err.message,
    }),
  );
}

/** Lets deliveries (process.nextTick) and promise reactions run; fake timers leave both alone. */
export async function flush(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => process.nextTick(r));
  await new Promise<void>((r) => setImmediate(r));
}

export interface SeenRequest extends RequestMessage {
  id: number;
  conn: Connection;
}

/** What a ScriptedPeer does with a request: a value to answer, `undefined` to hold it. */
export type Script = (req: SeenRequest) => { value: unknown } | { error: RpcCode; message?: string; notProcessed?: boolean } | undefined;

/**
 * A Rivet server written out by hand on the memory transport, so a test decides each frame: it
 * answers HELLO (and may send DRAIN with the HELLO_ACK), records requests and cancels, and
 * answers by `script` or later with `reply`.
 */
export class ScriptedPeer {
  readonly requests: SeenRequest[] = [];
  readonly cancels: number[] = [];
  readonly connections: Connection[] = [];
  /** Connections that have closed (the client ended or dropped them, or the peer destroyed them). */
  readonly closed: Connection[] = [];
  drainWithHelloAck = false;
  private readonly codec = new MsgpackCodec();
  private close: (() => Promise<void>) | null = null;

  constructor(
    readonly transport: MemoryTransport,
    private script: Script = () => ({ value: 'ok' }),
  ) {}

  async listen(host = 'peer', port = 0): Promise<{ host: string; port: number; address: string }> {
    const l = await this.transport.listen(host, port, (conn) => this.accept(conn));
    this.close = () => l.close();
    return { host: l.host, port: l.port, address: `${l.host}:${l.port}` };
  }

  async stopListening(): Promise<void> {
    await this.close?.();
  }

  setScript(script: Script): void {
    this.script = script;
  }

  reply(req: SeenRequest, value: unknown): void {
    req.conn.send(finishFrame(this.codec.encodeFramed(value), FrameType.RESPONSE, 0, req.id));
  }

  fail(req: SeenRequest, code: RpcCode, message = 'failed', flags = 0): void {
    req.conn.send(finishFrame(encodeErrorFramed(this.codec, code, message, undefined), FrameType.ERROR, flags, req.id));
  }

  drain(conn: Connection): void {
    conn.send(encodeFrame(FrameType.DRAIN, 0, 0));
  }

  destroyAll(): void {
    for (const c of this.connections) c.destroy();
  }

  private accept(conn: Connection): void {
    this.connections.push(conn);
    conn.attach({
      onFrame: (type, _flags, id, payload) => {
        switch (type) {
          case FrameType.HELLO:
            conn.send(
              encodeFrame(FrameType.HELLO_ACK, 0, 0, encodeHandshake({ version: 1, codec: 'msgpack', maxFrameBytes: 1 << 20, services: { Peer: { methods: {} } } })),
            );
            if (this.drainWithHelloAck) this.drain(conn);
            return;
          case FrameType.REQUEST: {
            const req: SeenRequest = { ...decodeRequest(this.codec, payload), id, conn };
            this.requests.push(req);
            const answer = this.script(req);
            if (answer === undefined) return;
            if ('value' in answer) this.reply(req, answer.value);
            else this.fail(req, answer.error, answer.message, answer.notProcessed ? 1 : 0);
            return;
          }
          case FrameType.CANCEL:
            this.cancels.push(id);
            return;
          case FrameType.PING:
            conn.send(encodeFrame(FrameType.PONG, 0, id));
            return;
        }
      },
      onClose: () => {
        if (!this.closed.includes(conn)) this.closed.push(conn);
      },
    });
  }
}

/** The channel's state and in-flight count, for compact assertions. */
export function snapshot(channel: Channel): { state: string; inFlight: number } {
  return { state: channel.state, inFlight: channel.inFlight };
}
