import { isRpcError, type Client } from '../../src';
import {
  createCodec,
  decodeError,
  DEFAULT_MAX_FRAME_BYTES,
  encodeRequest,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_HANDSHAKE_FRAME_BYTES,
  parseHelloAck,
  type CodecName,
} from '../../src/protocol';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness, waitFor } from '../helpers/apps';
import { logSink, type LogLine as BaseLogLine } from '../helpers/log-sink';
import { RawSocket } from '../helpers/raw-socket';

/** A log line, with the reason the server gives for closing a connection. */
type LogLine = BaseLogLine & { reason?: string };


/** Keeps normal calls going on `lanes` parallel lanes until stopped; counts them and keeps every failure. */
function steadyTraffic(client: Client, lanes = 2): { readonly ok: number; failures: unknown[]; stop(): Promise<void> } {
  let stopped = false;
  let ok = 0;
  const failures: unknown[] = [];
  const lane = async (l: number) => {
    for (let n = 0; !stopped; n++) {
      const want = `${l}:${n}`;
      try {
        const got = await client.invoke('Fixture', 'echo', [want]);
        if (got === want) ok++;
        else failures.push(got);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  const running = Array.from({ length: lanes }, (_, l) => lane(l));
  return {
    get ok() {
      return ok;
    },
    failures,
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/** A frame header with any declared length, type and id, and no payload. */
function header(length: number, type: number, id = 0): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  h[4] = type;
  h.writeUInt32BE(id, 6);
  return h;
}

const HTTP_GET = Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');

describe('bad input', () => {
  const h = new Harness();
  const raws: RawSocket[] = [];
  let port: number;
  let client: Client;
  let lines: LogLine[];

  beforeEach(async () => {
    const sink = logSink<LogLine>('debug');
    lines = sink.lines;
    ({ port } = await h.serve({ services: [FixtureService], logger: sink.logger }));
    client = h.client({ endpoints: { Fixture: [`127.0.0.1:${port}`] } });
  });
  afterEach(async () => {
    await Promise.all(raws.splice(0).map((r) => r.destroy()));
    await h.close();
  });

  async function raw(p = port, opts?: { allowHalfOpen?: boolean }): Promise<RawSocket> {
    const r = await RawSocket.connect(p, opts);
    raws.push(r);
    return r;
  }

  /** Waits for a log line whose `reason` matches. */
  async function loggedReason(reason: RegExp): Promise<LogLine> {
    await waitFor(() => lines.some((l) => l.reason !== undefined && reason.test(l.reason)), 2_000, `a log line with reason ${reason}`);
    return lines.find((l) => l.reason !== undefined && reason.test(l.reason)) as LogLine;
  }

  describe('input that closes the connection', () => {
    it.each<[string, (r: RawSocket) => Promise<void>, RegExp]>([
      ['garbage bytes instead of a handshake', async (r) => r.write(HTTP_GET), /exceeds the limit of 65536/],
      [
        'garbage bytes after the handshake',
        async (r) => {
          await r.handshake();
          r.write(HTTP_GET);
        },
        /exceeds the limit of 16777216/,
      ],
      [
        'a truncated HELLO followed by close',
        async (r) => {
          r.write(Buffer.concat([header(100, FrameType.HELLO), Buffer.from('{"rivet":true,')]));
          r.end();
        },
        /mid-frame/,
      ],
      [
        'half a frame header followed by close',
        async (r) => {
          await r.handshake();
          r.write(header(20, FrameType.REQUEST, 1).subarray(0, 6));
          r.end();
        },
        /mid-frame/,
      ],
      [
        'a truncated REQUEST followed by close',
        async (r) => {
          await r.handshake();
          r.write(Buffer.concat([header(50, FrameType.REQUEST, 1), Buffer.alloc(10)]));
          r.end();
        },
        /mid-frame/,
      ],
      [
        'a frame header declaring more than the 16 MiB limit',
        async (r) => {
          await r.handshake();
          r.write(header(DEFAULT_MAX_FRAME_BYTES + 1, FrameType.REQUEST, 1));
        },
        /frame of 16777217 bytes exceeds the limit of 16777216/,
      ],
      [
        'a HELLO declaring more than the 64 KiB handshake limit',
        async (r) => r.write(header(MAX_HANDSHAKE_FRAME_BYTES + 1, FrameType.HELLO)),
        /frame of 65537 bytes exceeds the limit of 65536/,
      ],
      [
        'a frame of a type no version defines, after the handshake',
        async (r) => {
          await r.handshake();
          r.sendFrame(42, 1);
        },
        /unexpected frame type 42/,
      ],
      [
        'a second HELLO after the handshake',
        async (r) => {
          await r.handshake();
          r.sendHello();
        },
        /unexpected frame type 1/,
      ],
    ])('closes the connection on %s, logs why, and keeps serving other clients', async (_, send, reason) => {
      const traffic = steadyTraffic(client);
      await waitFor(() => traffic.ok >= 5, 2_000, 'calls before the bad input');
      const r = await raw();
      await send(r);
      await r.whenClosed();
      const atClose = traffic.ok;
      await waitFor(() => traffic.ok >= atClose + 5, 2_000, 'calls after the bad input');
      await traffic.stop();
      expect(traffic.failures).toEqual([]);
      await loggedReason(reason);
      expect(await client.invoke('Fixture', 'echo', ['after'])).toBe('after');
    });

    it.each<[string, (r: RawSocket) => void, RegExp]>([
      ['an unknown protocol version', (r) => r.sendHello({ versions: [99] }), /unsupported protocol version 99; this server speaks 2,1/],
      ['a REQUEST before any HELLO', (r) => r.sendFrame(FrameType.REQUEST, 1, Buffer.from([0x90])), /expected HELLO, got frame type 3/],
      ['a HELLO that is not JSON', (r) => r.sendFrame(FrameType.HELLO, 0, Buffer.from('hello?')), /handshake is not JSON/],
      ['a JSON HELLO that is not Rivet\'s', (r) => r.sendFrame(FrameType.HELLO, 0, Buffer.from('{"versions":[1]}')), /not a Rivet HELLO/],
      ['a HELLO offering no codec the server allows', (r) => r.sendHello({ codecs: ['xml' as CodecName] }), /no common codec/],
    ])('answers %s with a refusing HELLO_ACK, then closes and logs why', async (_, send, reason) => {
      const traffic = steadyTraffic(client);
      await waitFor(() => traffic.ok >= 5, 2_000, 'calls before the bad input');
      const r = await raw();
      send(r);
      const frame = await r.nextFrame();
      expect(frame.type).toBe(FrameType.HELLO_ACK);
      const ack = parseHelloAck(frame.payload);
      expect('error' in ack && ack.error).toMatch(reason);
      await r.whenClosed();
      const atClose = traffic.ok;
      await waitFor(() => traffic.ok >= atClose + 5, 2_000, 'calls after the bad input');
      await traffic.stop();
      expect(traffic.failures).toEqual([]);
      await loggedReason(reason);
    });
  });

  it('cuts a refused peer that keeps its side open, and ignores what it sends meanwhile', async () => {
    const r = await raw(port, { allowHalfOpen: true });
    r.sendHello({ versions: [99] });
    expect((await r.nextFrame()).type).toBe(FrameType.HELLO_ACK);
    // More frames after the refusal: not answered, not logged once each.
    for (let i = 1; i <= 200; i++) r.sendFrame(FrameType.REQUEST, i, Buffer.from([0x90]));
    const started = performance.now();
    await loggedReason(/kept the connection open after its handshake was refused/);
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(lines.filter((l) => l.msg === 'closing connection: handshake refused')).toHaveLength(1);
    // The server's side is gone: the next write is answered with a reset.
    await waitFor(() => {
      if (!r.closed) r.write(Buffer.from([0]));
      return r.closed;
    }, 2_000, 'the raw socket to see the server gone');
    expect(await client.invoke('Fixture', 'echo', ['ok'])).toBe('ok');
  });

  describe('frame limits', () => {
    it('closes a connection that declares a frame over a small maxFrameBytes, and a normal client gets RESOURCE_EXHAUSTED locally and loses nothing', async () => {
      const smallSink = logSink<LogLine>('debug');
      const small = await h.serve({ services: [FixtureService], maxFrameBytes: 1024, logger: smallSink.logger });
      const c = h.client({ endpoints: { Fixture: [small.address] } });
      expect(await c.invoke('Fixture', 'echo', ['x'.repeat(900)])).toBe('x'.repeat(900));

      const err = await c.invoke('Fixture', 'echo', ['x'.repeat(2_000)]).catch((e: unknown) => e);
      expect(isRpcError(err) && [err.code, err.details, err.notProcessed]).toEqual(['RESOURCE_EXHAUSTED', { reason: 'FRAME_TOO_LARGE' }, true]);
      expect(await c.invoke('Fixture', 'echo', ['next'])).toBe('next');
      // Refused before sending: the server never saw an oversize frame, and no connection closed.
      expect(smallSink.lines.filter((l) => l.msg === 'connection closed')).toEqual([]);

      const r = await raw(small.port);
      const ack = await r.handshake();
      expect(ack.maxFrameBytes).toBe(1024);
      r.write(header(1025, FrameType.REQUEST, 1));
      await r.whenClosed();
      await waitFor(() => smallSink.lines.some((l) => l.reason === 'frame of 1025 bytes exceeds the limit of 1024'), 2_000, 'the oversize frame to be logged');
      expect(await c.invoke('Fixture', 'echo', ['still'])).toBe('still');
    });

    it('fails a reply larger than the client accepts with RESOURCE_EXHAUSTED, and the connection lives on', async () => {
      const c = h.client({ endpoints: { Fixture: [`127.0.0.1:${port}`] }, maxFrameBytes: 1024 });
      const err = await c.invoke('Fixture', 'echo', ['y'.repeat(2_000)]).catch((e: unknown) => e);
      expect(isRpcError(err) && [err.code, err.details]).toEqual(['RESOURCE_EXHAUSTED', { reason: 'FRAME_TOO_LARGE' }]);
      expect(await c.invoke('Fixture', 'echo', ['small'])).toBe('small');
    });
  });

  describe('undecodable requests', () => {
    const msgpack = createCodec('msgpack');
    const deep = Buffer.concat([Buffer.alloc(200_000, 0x91), Buffer.from([0xc0])]);
    it.each<[string, CodecName, Buffer]>([
      ['a byte msgpack never uses', 'msgpack', Buffer.from([0xc1])],
      ['msgpack cut short', 'msgpack', Buffer.from([0x95, 0xa7, 0x46])],
      ['msgpack of the wrong shape', 'msgpack', msgpack.encode({ service: 'Fixture' })],
      ['a request whose metadata is not strings', 'msgpack', msgpack.encode(['Fixture', 'echo', [], { 'x-delay-ms': 5 }, 1000])],
      ['a negative timeout', 'msgpack', msgpack.encode(['Fixture', 'echo', [], null, -1])],
      ['200,000 nested arrays', 'msgpack', deep],
      ['text that is not JSON', 'json', Buffer.from('["Fixture", "echo", [')],
      ['JSON of the wrong shape', 'json', Buffer.from('{"service":"Fixture"}')],
    ])('answers %s with INVALID_ARGUMENT for that id and keeps the connection', async (_, codecName, payload) => {
      const codec = createCodec(codecName);
      const r = await raw();
      await r.handshake(codecName);
      r.sendFrame(FrameType.REQUEST, 7, payload);
      const error = await r.nextFrame();
      expect([error.type, error.id]).toEqual([FrameType.ERROR, 7]);
      const e = decodeError(codec, error.payload);
      expect([e.code, e.details]).toEqual(['INVALID_ARGUMENT', { reason: 'BAD_REQUEST' }]);

      r.sendFrame(FrameType.REQUEST, 8, encodeRequest(codec, 'Fixture', 'echo', ['fine'], {}, 1_000));
      const reply = await r.nextFrame();
      expect([reply.type, reply.id, codec.decode(reply.payload)]).toEqual([FrameType.RESPONSE, 8, 'fine']);
      expect(r.closed).toBe(false);
    });

    it('refuses a request id that is already in flight, and the first call still completes', async () => {
      const r = await raw();
      await r.handshake();
      r.sendFrame(FrameType.REQUEST, 5, encodeRequest(msgpack, 'Fixture', 'behave', ['first'], { 'x-delay-ms': '100' }, 5_000));
      r.sendFrame(FrameType.REQUEST, 5, encodeRequest(msgpack, 'Fixture', 'echo', ['second'], {}, 5_000));
      const refusal = await r.nextFrame();
      expect([refusal.type, refusal.id, decodeError(msgpack, refusal.payload).code]).toEqual([FrameType.ERROR, 5, 'INVALID_ARGUMENT']);
      const reply = await r.nextFrame();
      expect([reply.type, reply.id, (msgpack.decode(reply.payload) as { key: string }).key]).toEqual([FrameType.RESPONSE, 5, 'first']);
    });
  });

  describe('request id 0', () => {
    const msgpack = createCodec('msgpack');

    it('is refused as a bad request without running, and the connection keeps serving', async () => {
      const r = await raw();
      await r.handshake();
      r.sendFrame(FrameType.REQUEST, 0, encodeRequest(msgpack, 'Fixture', 'echo', ['never'], {}, 5_000));
      const refusal = await r.nextFrame();
      const err = decodeError(msgpack, refusal.payload);
      expect([refusal.type, refusal.id, err.code, (err.details as { reason: string }).reason]).toEqual([FrameType.ERROR, 0, 'INVALID_ARGUMENT', 'BAD_REQUEST']);
      expect(err.message).toBe('request id 0 is reserved for connection-level frames');
      r.sendFrame(FrameType.REQUEST, 1, encodeRequest(msgpack, 'Fixture', 'echo', ['after'], {}, 5_000));
      const reply = await r.nextFrame();
      expect([reply.type, reply.id, msgpack.decode(reply.payload)]).toEqual([FrameType.RESPONSE, 1, 'after']);
    });
  });

  describe('__proto__ in payloads', () => {
    afterEach(() => {
      // Clean up before asserting elsewhere, should a case ever pollute.
      delete (Object.prototype as Record<string, unknown>).polluted;
    });

    function expectNoPollution(): void {
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    }

    it('never reaches Object.prototype through JSON args or metadata', async () => {
      const r = await raw();
      await r.handshake('json');
      const json = createCodec('json');
      r.sendFrame(FrameType.REQUEST, 1, Buffer.from('["Fixture","echo",[{"__proto__":{"polluted":"yes"},"a":1}],null,1000]'));
      const echoed = await r.nextFrame();
      expect([echoed.type, json.decode(echoed.payload)]).toEqual([FrameType.RESPONSE, { a: 1 }]);
      r.sendFrame(FrameType.REQUEST, 2, Buffer.from('["Fixture","behave",["k"],{"__proto__":{"polluted":"yes"},"x-key":"k"},1000]'));
      const behaved = await r.nextFrame();
      expect(behaved.type).toBe(FrameType.RESPONSE);
      expect((json.decode(behaved.payload) as { metadata: unknown }).metadata).toEqual({ 'x-key': 'k' });
      expectNoPollution();
    });

    it('never reaches Object.prototype through msgpack maps or records', async () => {
      const r = await raw();
      await r.handshake('msgpack');
      const msgpack = createCodec('msgpack');
      const str = (s: string) => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);
      // A plain msgpack map, as any msgpack library writes it: ["Fixture","echo",[{"__proto__":{"polluted":"yes"}}],null,1000]
      const handMade = Buffer.concat([
        Buffer.from([0x95]),
        str('Fixture'),
        str('echo'),
        Buffer.from([0x91, 0x81]),
        str('__proto__'),
        Buffer.from([0x81]),
        str('polluted'),
        str('yes'),
        Buffer.from([0xc0, 0xcd, 0x03, 0xe8]),
      ]);
      r.sendFrame(FrameType.REQUEST, 1, handMade);
      expect((await r.nextFrame()).type).toBe(FrameType.RESPONSE);
      // msgpackr's own record encoding of an object with an own "__proto__" key.
      const own = JSON.parse('{"__proto__":{"polluted":"yes"},"a":1}') as unknown;
      r.sendFrame(FrameType.REQUEST, 2, msgpack.encode(['Fixture', 'echo', [own, { constructor: { prototype: { polluted: 'yes' } } }], null, 1000]));
      expect((await r.nextFrame()).type).toBe(FrameType.RESPONSE);
      expectNoPollution();
    });
  });
});
