import { pino } from 'pino';
import type { CallContext } from '../../../src/call';
import { RpcError } from '../../../src/errors';
import {
  decodeError,
  encodeHandshake,
  encodeRequest,
  FrameDecoder,
  FrameFlags,
  FrameType,
  MAX_HANDSHAKE_FRAME_BYTES,
  MsgpackCodec,
} from '../../../src/protocol';
import { Dispatcher } from '../../../src/server';
import { ServerConnection } from '../../../src/server/server-connection';
import type { Connection, ConnectionEvents } from '../../../src/transport';

interface SentFrame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

/** A Connection that records what the server sends and lets the test deliver frames. */
class FakeConnection implements Connection {
  readonly id = 1;
  readonly remoteAddress = '127.0.0.1:50000';
  readonly peerIdentity = undefined;
  closed = false;
  ended = false;
  destroyReason: string | undefined = undefined;
  maxIncomingFrameBytes = MAX_HANDSHAKE_FRAME_BYTES;
  readonly sent: SentFrame[] = [];
  private events: ConnectionEvents | null = null;
  // Parse what is sent with the real decoder, so the bytes themselves are checked.
  private readonly decoder = new FrameDecoder(
    (type, flags, id, payload) => this.sent.push({ type, flags, id, payload: Buffer.from(payload) }),
    (err) => {
      throw new Error(`server sent an unframeable stream: ${err.reason}`);
    },
    0xffffffff,
  );

  attach(events: ConnectionEvents): void {
    this.events = events;
  }

  setMaxIncomingFrameBytes(bytes: number): void {
    this.maxIncomingFrameBytes = bytes;
  }

  watchLiveness(): void {}

  send(frame: Buffer | readonly Buffer[]): void {
    if (this.closed || this.ended) return;
    for (const part of Buffer.isBuffer(frame) ? [frame] : frame) this.decoder.push(part);
  }

  sendStreamData(frame: Buffer): void {
    this.send(frame);
  }

  sendNow(frame: Buffer): void {
    this.send(frame);
  }

  end(): void {
    this.ended = true;
  }

  destroy(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.destroyReason = reason;
    this.events?.onClose(reason);
  }

  deliver(type: number, flags: number, id: number, payload: Buffer = Buffer.alloc(0)): void {
    const events = this.events;
    if (events === null) throw new Error('nothing attached');
    events.onFrame(type, flags, id, payload, performance.now());
  }
}

const codec = new MsgpackCodec();
const CLIENT_LIMIT_BYTES = 1024;
const SERVER_LIMIT_BYTES = 4096;

/** Handlers that never settle on their own end when the call's signal aborts. */
function untilAborted(ctx: CallContext): Promise<never> {
  return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
}

const seenSignals: AbortSignal[] = [];

function dispatcher(): Dispatcher {
  return new Dispatcher(
    [
      {
        name: 'Arith',
        version: '1.0.0',
        middlewares: [],
        methods: [
          { name: 'add', handler: (ctx) => (ctx.args as number[])[0] + (ctx.args as number[])[1], idempotent: true, middlewares: [] },
          { name: 'big', handler: () => 'x'.repeat(2 * CLIENT_LIMIT_BYTES), idempotent: false, middlewares: [] },
          {
            name: 'bigError',
            handler: () => {
              throw new RpcError('INTERNAL', 'failed', { dump: 'y'.repeat(2 * CLIENT_LIMIT_BYTES) });
            },
            idempotent: false,
            middlewares: [],
          },
          {
            name: 'hang',
            handler: (ctx) => {
              seenSignals.push(ctx.signal);
              return untilAborted(ctx);
            },
            timeoutMs: 60_000,
            idempotent: false,
            middlewares: [],
          },
          { name: 'wait', handler: (ctx) => untilAborted(ctx), idempotent: false, middlewares: [] },
        ],
      },
    ],
    [],
  );
}

const opened: FakeConnection[] = [];

function open(): { conn: FakeConnection; sc: ServerConnection } {
  const conn = new FakeConnection();
  opened.push(conn);
  const sc = new ServerConnection(
    conn,
    { dispatcher: dispatcher(), allowedCodecs: ['msgpack', 'json'], maxFrameBytes: SERVER_LIMIT_BYTES, exposeErrorStack: false, logger: pino({ level: 'silent' }), maxInFlightPerConnection: undefined, liveness: {}, admission: null },
    () => {},
  );
  return { conn, sc };
}

function hello(over: Record<string, unknown> = {}): Buffer {
  return encodeHandshake({ rivet: true, versions: [1], codecs: ['msgpack'], maxFrameBytes: CLIENT_LIMIT_BYTES, ...over } as never);
}

/** A connection past the handshake, with the HELLO_ACK already taken off `sent`. */
function ready(): { conn: FakeConnection; sc: ServerConnection } {
  const opened = open();
  opened.conn.deliver(FrameType.HELLO, 0, 0, hello());
  opened.conn.sent.length = 0;
  return opened;
}

function request(conn: FakeConnection, id: number, method: string, args: unknown[], timeoutMs = 5_000): void {
  conn.deliver(FrameType.REQUEST, 0, id, encodeRequest(codec, 'Arith', method, args, {}, timeoutMs));
}

const tick = (): Promise<void> => new Promise(setImmediate);

afterEach(() => {
  // Closing settles every call and clears the server's timers.
  for (const conn of opened.splice(0)) conn.destroy('test over');
  jest.useRealTimers();
  seenSignals.length = 0;
});

describe('ServerConnection handshake', () => {
  it('answers a HELLO with a HELLO_ACK on id 0 naming version, codec, its limit and its services', () => {
    const { conn } = open();
    conn.deliver(FrameType.HELLO, 0, 0, hello({ codecs: ['json', 'msgpack'] }));
    expect(conn.sent.map((f) => [f.type, f.flags, f.id])).toEqual([[FrameType.HELLO_ACK, 0, 0]]);
    expect(JSON.parse(conn.sent[0].payload.toString())).toEqual({
      version: 1,
      codec: 'json',
      maxFrameBytes: SERVER_LIMIT_BYTES,
      services: {
        Arith: {
          version: '1.0.0',
          methods: { add: { idempotent: true }, big: { idempotent: false }, bigError: { idempotent: false }, hang: { idempotent: false, timeoutMs: 60_000 }, wait: { idempotent: false } },
        },
      },
    });
    expect(conn.maxIncomingFrameBytes).toBe(SERVER_LIMIT_BYTES);
    expect(conn.ended).toBe(false);
  });

  it('refuses a first frame that is not a HELLO, then ends the connection', () => {
    const { conn } = open();
    conn.deliver(FrameType.PING, 0, 0);
    expect(conn.sent.map((f) => [f.type, JSON.parse(f.payload.toString())])).toEqual([[FrameType.HELLO_ACK, { error: 'expected HELLO, got frame type 7' }]]);
    expect(conn.ended).toBe(true);
  });

  it('refuses a HELLO offering no version it speaks, naming both, then ends the connection', () => {
    const { conn } = open();
    conn.deliver(FrameType.HELLO, 0, 0, hello({ versions: [3] }));
    expect(JSON.parse(conn.sent[0].payload.toString())).toEqual({ error: 'unsupported protocol version 3; this server speaks 2,1' });
    expect(conn.ended).toBe(true);
  });

  it('ignores whatever a refused peer sends next', () => {
    const { conn } = open();
    conn.deliver(FrameType.REQUEST, 0, 1, Buffer.from([0x90]));
    conn.deliver(FrameType.HELLO, 0, 0, hello());
    conn.deliver(FrameType.PING, 0, 2);
    expect(conn.sent.map((f) => f.type)).toEqual([FrameType.HELLO_ACK]);
    expect(JSON.parse(conn.sent[0].payload.toString())).toEqual({ error: 'expected HELLO, got frame type 3' });
  });

  it('refuses a HELLO that is not JSON', () => {
    const { conn } = open();
    conn.deliver(FrameType.HELLO, 0, 0, Buffer.from([0x81, 0xa1, 0x61, 0x01]));
    expect(JSON.parse(conn.sent[0].payload.toString())).toEqual({ error: 'handshake is not JSON' });
    expect(conn.ended).toBe(true);
  });
});

describe('ServerConnection after the handshake', () => {
  it('answers a REQUEST with a RESPONSE carrying the same id', async () => {
    const { conn } = ready();
    request(conn, 0xfffffff0, 'add', [2, 3]);
    await tick();
    expect(conn.sent.map((f) => [f.type, f.flags, f.id, codec.decode(f.payload)])).toEqual([[FrameType.RESPONSE, 0, 0xfffffff0, 5]]);
  });

  it('answers PING with PONG on the same id', () => {
    const { conn } = ready();
    conn.deliver(FrameType.PING, 0, 99);
    expect(conn.sent.map((f) => [f.type, f.id, f.payload.length])).toEqual([[FrameType.PONG, 99, 0]]);
  });

  it('answers an unknown method with ERROR UNIMPLEMENTED and keeps the connection', async () => {
    const { conn } = ready();
    request(conn, 4, 'nope', []);
    await tick();
    expect(conn.sent.map((f) => [f.type, f.flags, f.id])).toEqual([[FrameType.ERROR, 0, 4]]);
    expect(decodeError(codec, conn.sent[0].payload)).toEqual({
      code: 'UNIMPLEMENTED',
      message: 'Arith.nope is not a remotely callable method',
      details: { reason: 'UNKNOWN_METHOD' },
    });
    expect(conn.closed).toBe(false);
  });

  it('answers an undecodable request with ERROR INVALID_ARGUMENT and keeps the connection', () => {
    const { conn } = ready();
    conn.deliver(FrameType.REQUEST, 0, 5, codec.encode(['Arith', 'add']));
    expect(decodeError(codec, conn.sent[0].payload)).toMatchObject({ code: 'INVALID_ARGUMENT', details: { reason: 'BAD_REQUEST' } });
    expect(conn.closed).toBe(false);
  });

  it('closes the connection on an unknown frame type, and on a second HELLO', () => {
    const unknown = ready();
    unknown.conn.deliver(42, 0, 0);
    expect(unknown.conn.destroyReason).toBe('unexpected frame type 42');
    const again = ready();
    again.conn.deliver(FrameType.HELLO, 0, 0, hello());
    expect(again.conn.destroyReason).toBe('unexpected frame type 1');
  });

  it('stops a call on CANCEL and sends no reply for it', async () => {
    const { conn, sc } = ready();
    request(conn, 8, 'hang', []);
    expect(sc.inFlightCount).toBe(1);
    conn.deliver(FrameType.CANCEL, 0, 8);
    await tick();
    expect(seenSignals).toHaveLength(1);
    expect(seenSignals[0].aborted).toBe(true);
    expect((seenSignals[0].reason as RpcError).code).toBe('CANCELLED');
    expect(sc.inFlightCount).toBe(0);
    expect(conn.sent).toEqual([]);
  });

  it('sends DRAIN on id 0, then refuses new requests with ERROR UNAVAILABLE flagged NOT_PROCESSED', () => {
    const { conn, sc } = ready();
    sc.beginDrain();
    request(conn, 6, 'add', [1, 1]);
    expect(conn.sent.map((f) => [f.type, f.flags, f.id])).toEqual([
      [FrameType.DRAIN, 0, 0],
      [FrameType.ERROR, FrameFlags.NOT_PROCESSED, 6],
    ]);
    expect(decodeError(codec, conn.sent[1].payload)).toEqual({
      code: 'UNAVAILABLE',
      message: 'server is draining; send the call elsewhere',
      details: { reason: 'SERVER_DRAINING' },
    });
  });

  it('fails a reply larger than the client accepts with ERROR RESOURCE_EXHAUSTED instead of sending it', async () => {
    const { conn } = ready();
    request(conn, 7, 'big', []);
    await tick();
    expect(conn.sent.map((f) => [f.type, f.id])).toEqual([[FrameType.ERROR, 7]]);
    expect(decodeError(codec, conn.sent[0].payload)).toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { reason: 'FRAME_TOO_LARGE' } });
  });

  it('never sends an ERROR frame larger than the client accepts', async () => {
    const { conn } = ready();
    request(conn, 9, 'bigError', []);
    await tick();
    expect(conn.sent.map((f) => [f.type, f.id])).toEqual([[FrameType.ERROR, 9]]);
    expect(conn.sent[0].payload.length).toBeLessThanOrEqual(CLIENT_LIMIT_BYTES);
  });

  it('keeps running a call whose timeoutMs is beyond what one timer can hold (2^31 ms and more)', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const { conn, sc } = ready();
    // Node runs a timer longer than 2^31 - 1 ms after 1 ms instead (jest's fake timers do the same).
    request(conn, 10, 'wait', [], 2 ** 31);
    jest.advanceTimersByTime(10);
    await tick();
    expect(conn.sent.map((f) => [f.type, f.id, decodeError(codec, f.payload).code])).toEqual([]);
    expect(sc.inFlightCount).toBe(1);
  });
});
