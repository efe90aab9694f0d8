import {
  encodeHandshake,
  type Hello,
  negotiate,
  parseHello,
  parseHelloAck,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
} from '../../../src/protocol';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

const validHello: Hello = { rivet: true, versions: [1], codecs: ['msgpack', 'json'], maxFrameBytes: 16 * 1024 * 1024 };

describe('handshake constants', () => {
  it('speaks protocol version 2, and 1 to peers that offer only it', () => {
    expect(PROTOCOL_VERSION).toBe(2);
    expect(SUPPORTED_VERSIONS).toEqual([2, 1]);
  });
});

describe('encodeHandshake', () => {
  it('writes the message as UTF-8 JSON', () => {
    expect(encodeHandshake(validHello).toString('utf8')).toBe('{"rivet":true,"versions":[1],"codecs":["msgpack","json"],"maxFrameBytes":16777216}');
    expect(encodeHandshake({ error: 'no' }).toString('utf8')).toBe('{"error":"no"}');
  });
});

describe('parseHello', () => {
  it('accepts a valid HELLO and returns its fields', () => {
    expect(parseHello(encodeHandshake(validHello))).toEqual(validHello);
  });

  it('keeps only the known fields of a HELLO', () => {
    expect(parseHello(json({ ...validHello, extra: 'ignored' }))).toEqual(validHello);
  });

  it('rejects bytes that are not JSON', () => {
    expect(parseHello(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('handshake is not JSON');
    expect(parseHello(Buffer.from([0x93, 0x01, 0x02, 0x03]))).toBe('handshake is not JSON');
  });

  it('rejects JSON that is not a Rivet HELLO', () => {
    expect(parseHello(json(null))).toBe('handshake is not a Rivet HELLO');
    expect(parseHello(json([1, 2]))).toBe('handshake is not a Rivet HELLO');
    expect(parseHello(json({ versions: [1], codecs: ['json'], maxFrameBytes: 10 }))).toBe('handshake is not a Rivet HELLO');
    expect(parseHello(json({ ...validHello, rivet: 'yes' }))).toBe('handshake is not a Rivet HELLO');
  });

  it('rejects a HELLO with missing or mistyped versions', () => {
    const { versions: _v, ...noVersions } = validHello;
    expect(parseHello(json(noVersions))).toBe('HELLO.versions must be an array of integers');
    expect(parseHello(json({ ...validHello, versions: ['1'] }))).toBe('HELLO.versions must be an array of integers');
    expect(parseHello(json({ ...validHello, versions: [1.5] }))).toBe('HELLO.versions must be an array of integers');
  });

  it('rejects a HELLO with missing or mistyped codecs', () => {
    const { codecs: _c, ...noCodecs } = validHello;
    expect(parseHello(json(noCodecs))).toBe('HELLO.codecs must be an array of strings');
    expect(parseHello(json({ ...validHello, codecs: 'msgpack' }))).toBe('HELLO.codecs must be an array of strings');
    expect(parseHello(json({ ...validHello, codecs: [1] }))).toBe('HELLO.codecs must be an array of strings');
  });

  it('rejects a HELLO with a missing, zero, negative or fractional maxFrameBytes', () => {
    const { maxFrameBytes: _m, ...noLimit } = validHello;
    const message = 'HELLO.maxFrameBytes must be a positive integer';
    expect(parseHello(json(noLimit))).toBe(message);
    expect(parseHello(json({ ...validHello, maxFrameBytes: 0 }))).toBe(message);
    expect(parseHello(json({ ...validHello, maxFrameBytes: -1 }))).toBe(message);
    expect(parseHello(json({ ...validHello, maxFrameBytes: 1.5 }))).toBe(message);
    expect(parseHello(json({ ...validHello, maxFrameBytes: '1024' }))).toBe(message);
  });
});

describe('negotiate', () => {
  it('agrees on the common version and the codec the client prefers among those the server allows', () => {
    expect(negotiate({ ...validHello, codecs: ['json', 'msgpack'] }, ['msgpack', 'json'])).toEqual({ version: 1, codec: 'json' });
    expect(negotiate({ ...validHello, codecs: ['msgpack', 'json'] }, ['json', 'msgpack'])).toEqual({ version: 1, codec: 'msgpack' });
  });

  it('skips codecs the server does not allow or does not know', () => {
    expect(negotiate({ ...validHello, codecs: ['cbor' as never, 'msgpack', 'json'] }, ['json'])).toEqual({ version: 1, codec: 'json' });
  });

  it('picks the version it speaks from a list offering newer ones too', () => {
    expect(negotiate({ ...validHello, versions: [4, 3, 2, 1] }, ['msgpack'])).toEqual({ version: 2, codec: 'msgpack' });
    expect(negotiate({ ...validHello, versions: [3, 1] }, ['msgpack'])).toEqual({ version: 1, codec: 'msgpack' });
  });

  it('refuses unknown versions with a message naming both sides', () => {
    expect(negotiate({ ...validHello, versions: [3, 4] }, ['msgpack'])).toBe('unsupported protocol version 3,4; this server speaks 2,1');
  });

  it('refuses when no codec is common, naming both lists', () => {
    expect(negotiate({ ...validHello, codecs: ['json'] }, ['msgpack'])).toBe('no common codec: client offers json, server allows msgpack');
  });
});

describe('parseHelloAck', () => {
  const ack = { version: 1, codec: 'msgpack', maxFrameBytes: 1024, services: { Arith: { version: '1.0.0', methods: { add: { idempotent: true, timeoutMs: 500 } } } } };

  it('accepts an agreement and returns its fields', () => {
    expect(parseHelloAck(json(ack))).toEqual(ack);
  });

  it('reads a missing services map as empty', () => {
    const { services: _s, ...noServices } = ack;
    expect(parseHelloAck(json(noServices))).toEqual({ version: 1, codec: 'msgpack', maxFrameBytes: 1024, services: {} });
  });

  it('returns the refusal the server sent', () => {
    expect(parseHelloAck(json({ error: 'unsupported protocol version 2; this server speaks 1' }))).toEqual({
      error: 'unsupported protocol version 2; this server speaks 1',
    });
  });

  it('reads a malformed reply as a refusal saying what is wrong', () => {
    expect(parseHelloAck(Buffer.from('not json'))).toEqual({ error: 'handshake reply is not JSON' });
    expect(parseHelloAck(json(7))).toEqual({ error: 'handshake reply is not an object' });
    expect(parseHelloAck(json({ ...ack, version: 3 }))).toEqual({ error: 'server chose protocol version 3, this client speaks 2,1' });
    expect(parseHelloAck(json({ ...ack, codec: 'cbor' }))).toEqual({ error: 'server chose unknown codec cbor' });
    expect(parseHelloAck(json({ ...ack, maxFrameBytes: 0 }))).toEqual({ error: 'handshake reply has no valid maxFrameBytes' });
  });
});
