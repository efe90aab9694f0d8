import { Packr } from 'msgpackr';
import { createCodec, JsonCodec, MsgpackCodec } from '../../../src/protocol';

const MIB = 1024 * 1024;

/** An object literal whose own key is "__proto__", the way JSON.parse builds one. */
function pollutingObject(): object {
  return JSON.parse('{"__proto__":{"polluted":1},"a":1}') as object;
}

function hasOwn(obj: unknown, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

afterEach(() => {
  // A failing pollution test must not leak into the next one.
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe('MsgpackCodec', () => {
  const codec = new MsgpackCodec();
  const roundTrip = (value: unknown): unknown => codec.decode(codec.encode(value));

  it('is named msgpack and is what createCodec returns for that name', () => {
    expect(codec.name).toBe('msgpack');
    expect(createCodec('msgpack')).toBeInstanceOf(MsgpackCodec);
  });

  it('round-trips undefined and null as themselves', () => {
    expect(roundTrip(undefined)).toBeUndefined();
    expect(roundTrip(null)).toBeNull();
  });

  it('round-trips a Date as a Date with the same time', () => {
    const decoded = roundTrip(new Date(1_700_000_000_123));
    expect(decoded).toBeInstanceOf(Date);
    expect((decoded as Date).getTime()).toBe(1_700_000_000_123);
  });

  it('round-trips a Uint8Array as a Uint8Array and a Buffer as a Buffer', () => {
    const u8 = roundTrip(new Uint8Array([1, 2, 3]));
    expect(u8).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(u8)).toBe(false);
    expect(Array.from(u8 as Uint8Array)).toEqual([1, 2, 3]);
    const buf = roundTrip(Buffer.from([4, 5, 6]));
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect((buf as Buffer).toString('hex')).toBe('040506');
  });

  it('round-trips a Map with non-string keys as a Map', () => {
    const decoded = roundTrip(new Map<unknown, string>([[1, 'one'], [true, 'yes'], [null, 'nil'], ['s', 'str']]));
    expect(decoded).toBeInstanceOf(Map);
    expect([...(decoded as Map<unknown, string>).entries()]).toEqual([[1, 'one'], [true, 'yes'], [null, 'nil'], ['s', 'str']]);
  });

  it('round-trips a Set as a Set', () => {
    const decoded = roundTrip(new Set([1, 'two', 3]));
    expect(decoded).toBeInstanceOf(Set);
    expect([...(decoded as Set<unknown>)]).toEqual([1, 'two', 3]);
  });

  it('round-trips nested objects as plain objects, distinct from Maps', () => {
    const value = { user: { id: 7, tags: ['a', 'b'], address: { city: 'Oslo', zip: null } }, list: [{ x: 1 }, { x: 2 }], m: new Map([['k', { y: 1 }]]) };
    const decoded = roundTrip(value) as typeof value;
    expect(decoded).toEqual(value);
    expect(Object.getPrototypeOf(decoded.user)).toBe(Object.prototype);
    expect(decoded.m).toBeInstanceOf(Map);
  });

  it('decodes with a fresh codec what another codec encoded, after it has encoded the same shapes before', () => {
    const sender = new MsgpackCodec();
    sender.encode([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
    const bytes = sender.encode([{ a: 5, b: 6 }]);
    expect(new MsgpackCodec().decode(bytes)).toEqual([{ a: 5, b: 6 }]);
  });

  it('round-trips a 1 MiB payload', () => {
    const blob = Buffer.alloc(MIB);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 0xff;
    const text = 'x'.repeat(MIB);
    const decoded = roundTrip({ blob, text }) as { blob: Buffer; text: string };
    expect(decoded.blob.equals(blob)).toBe(true);
    expect(decoded.text.length).toBe(MIB);
    expect(decoded.text === text).toBe(true);
  });

  it('keeps undefined entries of an args array in place', () => {
    expect(roundTrip([1, undefined, 3, , 'x'])).toStrictEqual([1, undefined, 3, undefined, 'x']);
    expect(roundTrip([undefined])).toStrictEqual([undefined]);
  });

  it('never lets a "__proto__" key reach a prototype', () => {
    const bytes = new Packr().pack(pollutingObject());
    const decoded = codec.decode(bytes);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(hasOwn(decoded, '__proto__')).toBe(false);
    expect((decoded as { a: number }).a).toBe(1);
    expect(Object.getPrototypeOf(Object.assign({}, decoded))).toBe(Object.prototype);
  });

  it('never lets a nested "__proto__" key reach a prototype', () => {
    const bytes = new Packr().pack({ outer: pollutingObject(), list: [pollutingObject()] });
    const decoded = codec.decode(bytes) as { outer: object; list: object[] };
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded.outer)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(decoded.list[0])).toBe(Object.prototype);
    expect(hasOwn(decoded.outer, '__proto__')).toBe(false);
  });

  it('throws on truncated input', () => {
    expect(() => codec.decode(Buffer.from([0x92, 0x01]))).toThrow();
    expect(() => codec.decode(Buffer.alloc(0))).toThrow();
  });

  it('throws on bytes left over after one value', () => {
    expect(() => codec.decode(Buffer.from([0x01, 0x02]))).toThrow();
  });

  it('throws on an unknown extension type', () => {
    expect(() => codec.decode(Buffer.from([0xd4, 0xee, 0x00]))).toThrow();
  });

  it('throws on the byte 0xc1, which msgpack reserves as never used', () => {
    expect(() => codec.decode(Buffer.from([0xc1]))).toThrow();
  });
});

describe('MsgpackCodec.forStream', () => {
  /** Objects of `shapes` different key sets, each nested with a Map, in rounds: ids 0x40-0x7f are reused past 64. */
  function messages(shapes: number, rounds: number): unknown[] {
    const out: unknown[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < shapes; k++) out.push({ [`k${k}`]: k + r, inner: { [`n${k % 70}`]: [k, { a: r }] }, map: new Map<unknown, unknown>([[k, 'v']]) });
    }
    return out;
  }

  it('round-trips a stream of objects of 200 key sets in order, Maps as Maps, with definitions carried between messages', () => {
    const sender = new MsgpackCodec().forStream();
    const receiver = new MsgpackCodec().forStream();
    for (const m of messages(200, 3)) expect(receiver.decode(sender.encode(m))).toEqual(m);
  });

  it('writes the keys of a record once per stream: a later message of the same shape carries only its values', () => {
    const sender = new MsgpackCodec().forStream();
    const first = sender.encode({ seq: 1, value: 0.5 });
    const second = sender.encode({ seq: 2, value: 1.5 });
    expect(second.length).toBeLessThan(first.length);
    expect(second.includes(Buffer.from('value'))).toBe(false);
    // A call's codec defines them in every message, so it reads a message alone.
    const plain = new MsgpackCodec();
    expect(plain.encode({ seq: 2, value: 1.5 }).includes(Buffer.from('value'))).toBe(true);
  });

  it('reads messages of a peer that defines records in every message', () => {
    const plain = new MsgpackCodec();
    const receiver = new MsgpackCodec().forStream();
    for (const m of messages(100, 2)) expect(receiver.decode(plain.encode(m))).toEqual(m);
  });

  it('gives each stream its own state: two streams interleaved decode apart', () => {
    const [s1, s2] = [new MsgpackCodec().forStream(), new MsgpackCodec().forStream()];
    const [r1, r2] = [new MsgpackCodec().forStream(), new MsgpackCodec().forStream()];
    for (let i = 0; i < 100; i++) {
      expect(r1.decode(s1.encode({ a: i, [`x${i % 7}`]: 1 }))).toEqual({ a: i, [`x${i % 7}`]: 1 });
      expect(r2.decode(s2.encode({ b: i, [`y${i % 5}`]: 2 }))).toEqual({ b: i, [`y${i % 5}`]: 2 });
    }
  });

  it('never lets a "__proto__" key reach a prototype', () => {
    const sender = new MsgpackCodec().forStream();
    const receiver = new MsgpackCodec().forStream();
    receiver.decode(sender.encode({ a: 1 }));
    const out = receiver.decode(sender.encode(pollutingObject()));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(hasOwn(out, '__proto__')).toBe(false);
  });
});

describe('JsonCodec.forStream', () => {
  it('is the codec itself: JSON carries no state between messages', () => {
    const codec = new JsonCodec();
    expect(codec.forStream()).toBe(codec);
  });
});

describe('JsonCodec', () => {
  const codec = new JsonCodec();
  const roundTrip = (value: unknown): unknown => codec.decode(codec.encode(value));

  it('is named json and is what createCodec returns for that name', () => {
    expect(codec.name).toBe('json');
    expect(createCodec('json')).toBeInstanceOf(JsonCodec);
  });

  it('round-trips what JSON carries', () => {
    const value = { s: 'text ✓', n: -1.5, i: 42, t: true, f: false, z: null, arr: [1, 'two', null, { deep: [[]] }], empty: {} };
    expect(roundTrip(value)).toStrictEqual(value);
    expect(roundTrip('plain')).toBe('plain');
    expect(roundTrip(0)).toBe(0);
  });

  it('sends undefined alone as null, and undefined in an array as null', () => {
    expect(codec.encode(undefined).toString()).toBe('null');
    expect(roundTrip(undefined)).toBeNull();
    expect(roundTrip([1, undefined, 3])).toStrictEqual([1, null, 3]);
  });

  it('sends a Date as its ISO string', () => {
    expect(roundTrip(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });

  it('never lets a "__proto__" key reach a prototype', () => {
    const decoded = codec.decode(Buffer.from('{"__proto__":{"polluted":1},"a":1,"nested":{"__proto__":{"polluted":2}}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(hasOwn(decoded, '__proto__')).toBe(false);
    expect(hasOwn((decoded as { nested: object }).nested, '__proto__')).toBe(false);
    expect(decoded).toEqual({ a: 1, nested: {} });
    expect(Object.getPrototypeOf(Object.assign({}, decoded))).toBe(Object.prototype);
  });

  it('drops a "__proto__" key spelt with a JSON escape as well', () => {
    // "\u005f_proto__" is the same key as "__proto__" once parsed.
    const decoded = codec.decode(Buffer.from('{"\\u005f_proto__":{"polluted":1},"a":1}'));
    expect(hasOwn(decoded, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(Object.assign({}, decoded))).toBe(Object.prototype);
  });

  it('throws on malformed text', () => {
    expect(() => codec.decode(Buffer.from('{"a":'))).toThrow(SyntaxError);
    expect(() => codec.decode(Buffer.from([0xff, 0xfe]))).toThrow(SyntaxError);
    expect(() => codec.decode(Buffer.alloc(0))).toThrow(SyntaxError);
  });
});
