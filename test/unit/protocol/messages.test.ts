import { Packr } from 'msgpackr';
import type { RpcCode } from '../../../src/errors';
import { type Codec, decodeError, decodeRequest, encodeError, encodeRequest, JsonCodec, MsgpackCodec } from '../../../src/protocol';

const codecs: Array<[string, Codec]> = [
  ['msgpack', new MsgpackCodec()],
  ['json', new JsonCodec()],
];

describe.each(codecs)('request messages (%s)', (_name, codec) => {
  it('round-trips service, method, args, metadata and timeoutMs', () => {
    const payload = encodeRequest(codec, 'Arith', 'add', [1, 'two', { three: [3] }], { trace: 't-1', user: 'ana' }, 4999);
    expect(decodeRequest(codec, payload)).toEqual({
      service: 'Arith',
      method: 'add',
      args: [1, 'two', { three: [3] }],
      metadata: { trace: 't-1', user: 'ana' },
      timeoutMs: 4999,
    });
  });

  it('sends empty metadata as null and reads it back as a fresh empty object', () => {
    const payload = encodeRequest(codec, 'Arith', 'ping', [], {}, 10);
    expect(codec.decode(payload)).toEqual(['Arith', 'ping', [], null, 10]);
    const first = decodeRequest(codec, payload);
    const second = decodeRequest(codec, payload);
    expect(first.metadata).toEqual({});
    expect(first.metadata).not.toBe(second.metadata);
  });

  it('writes the request as the positional array [service, method, args, metadata, timeoutMs]', () => {
    expect(codec.decode(encodeRequest(codec, 'S', 'm', [true], { k: 'v' }, 0))).toEqual(['S', 'm', [true], { k: 'v' }, 0]);
  });

  it.each([
    ['a string', 'hello', 'request is not a [service, method, args, metadata, timeoutMs] array'],
    ['an object', { service: 'S' }, 'request is not a [service, method, args, metadata, timeoutMs] array'],
    ['a short array', ['S', 'm', [], null], 'request is not a [service, method, args, metadata, timeoutMs] array'],
    ['a numeric service', [1, 'm', [], null, 5], 'request service and method must be strings'],
    ['a null method', ['S', null, [], null, 5], 'request service and method must be strings'],
    ['args that are not an array', ['S', 'm', 'x', null, 5], 'request args must be an array'],
    ['args that are an object', ['S', 'm', { 0: 1 }, null, 5], 'request args must be an array'],
    ['metadata that is a string', ['S', 'm', [], 'k=v', 5], 'request metadata must be a map of strings'],
    ['metadata that is an array', ['S', 'm', [], ['v'], 5], 'request metadata must be a map of strings'],
    ['metadata with a number value', ['S', 'm', [], { ok: 'v', n: 1 }, 5], "request metadata 'n' is not a string"],
    ['metadata with a nested object', ['S', 'm', [], { o: { x: 'y' } }, 5], "request metadata 'o' is not a string"],
    ['a string timeoutMs', ['S', 'm', [], null, '5'], 'request timeoutMs must be a finite number >= 0'],
    ['a negative timeoutMs', ['S', 'm', [], null, -1], 'request timeoutMs must be a finite number >= 0'],
    ['a null timeoutMs', ['S', 'm', [], null, null], 'request timeoutMs must be a finite number >= 0'],
    ['a NaN timeoutMs', ['S', 'm', [], null, NaN], 'request timeoutMs must be a finite number >= 0'],
  ])('rejects %s with a message saying what is malformed', (_what, shape, message) => {
    expect(() => decodeRequest(codec, codec.encode(shape))).toThrow(new Error(message));
  });

  it('rejects bytes the codec cannot decode', () => {
    expect(() => decodeRequest(codec, Buffer.from([0x92, 0x01]))).toThrow();
  });

  it('round-trips an error code, message and details', () => {
    const payload = encodeError(codec, 'NOT_FOUND', 'no such user', { reason: 'X', id: 7 });
    expect(decodeError(codec, payload)).toEqual({ code: 'NOT_FOUND', message: 'no such user', details: { reason: 'X', id: 7 } });
  });

  it('writes an error as [codeNumber, message] when it has no details', () => {
    const payload = encodeError(codec, 'UNAVAILABLE', 'draining', undefined);
    expect(codec.decode(payload)).toEqual([14, 'draining']);
    const decoded = decodeError(codec, payload);
    expect(decoded).toEqual({ code: 'UNAVAILABLE', message: 'draining' });
    expect('details' in decoded).toBe(false);
  });

  it('reads an unknown code number as UNKNOWN and keeps the message', () => {
    expect(decodeError(codec, codec.encode([99, 'from a newer peer']))).toEqual({ code: 'UNKNOWN', message: 'from a newer peer' });
    expect(decodeError(codec, codec.encode([0, 'zero is OK, never an error']))).toEqual({ code: 'UNKNOWN', message: 'zero is OK, never an error' });
  });

  it('reads an error reply of the wrong shape as INTERNAL', () => {
    expect(decodeError(codec, codec.encode({ code: 5 }))).toEqual({ code: 'INTERNAL', message: 'malformed error reply' });
    expect(decodeError(codec, codec.encode(['5', 'x']))).toEqual({ code: 'INTERNAL', message: 'malformed error reply' });
    expect(decodeError(codec, codec.encode([5]))).toEqual({ code: 'INTERNAL', message: 'malformed error reply' });
  });

  it('reads an undecodable error payload as INTERNAL', () => {
    const decoded = decodeError(codec, Buffer.from([0x92, 0x05]));
    expect(decoded.code).toBe('INTERNAL');
    expect(decoded.message).toMatch(/^undecodable error reply: \S/);
  });
});

describe('error messages', () => {
  it('carries every code by its gRPC number', () => {
    const codec = new MsgpackCodec();
    const codes: RpcCode[] = ['CANCELLED', 'INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'UNAUTHENTICATED'];
    expect(codes.map((c) => (codec.decode(encodeError(codec, c, 'm', undefined)) as unknown[])[0])).toEqual([1, 3, 8, 16]);
  });

  it('drops details the codec cannot carry, and says so in the message', () => {
    const codec = new JsonCodec();
    const decoded = decodeError(codec, encodeError(codec, 'INTERNAL', 'boom', { big: 10n }));
    expect(decoded).toEqual({ code: 'INTERNAL', message: 'boom (details could not be encoded)' });
  });
});

describe('request messages from a msgpack peer that is not msgpackr', () => {
  // Plain msgpack maps (no msgpackr records), as any other msgpack library writes them.
  const plain = new Packr({ useRecords: false });
  const codec = new MsgpackCodec();

  it('rejects metadata with a non-string value', () => {
    const payload = plain.pack(['S', 'm', [], { n: 1 }, 5]);
    expect(() => decodeRequest(codec, payload)).toThrow(new Error("request metadata 'n' is not a string"));
  });

  it('reads string metadata as a plain object', () => {
    const payload = plain.pack(['S', 'm', [], { trace: 't-1' }, 5]);
    expect(decodeRequest(codec, payload).metadata).toEqual({ trace: 't-1' });
  });
});
