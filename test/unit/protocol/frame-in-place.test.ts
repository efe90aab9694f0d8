import {
  type Codec,
  decodeError,
  decodeRequest,
  encodeError,
  encodeErrorFramed,
  encodeFrame,
  encodeRequest,
  encodeRequestFramed,
  finishFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameFlags,
  FrameType,
  JsonCodec,
  MsgpackCodec,
} from '../../../src/protocol';

const KIB = 1024;

function asOneBuffer(frame: Buffer | [Buffer, Buffer]): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.concat(frame);
}

function decodeAll(chunks: Buffer[]): Array<{ type: number; flags: number; id: number; payload: Buffer }> {
  const out: Array<{ type: number; flags: number; id: number; payload: Buffer }> = [];
  const decoder = new FrameDecoder(
    (type, flags, id, payload) => out.push({ type, flags, id, payload: Buffer.from(payload) }),
    (err) => {
      throw new Error(`decode error: ${JSON.stringify(err)}`);
    },
    16 * 1024 * 1024,
  );
  for (const c of chunks) decoder.push(c);
  return out;
}

const values: unknown[] = [
  null,
  undefined,
  42,
  'a string',
  ['Arith', 'add', [1, 2], null, 5000],
  { nested: { list: [1, 'two', { three: 3 }] } },
  'x'.repeat(3000),
];

describe.each<[string, () => Codec]>([
  ['msgpack', () => new MsgpackCodec()],
  ['json', () => new JsonCodec()],
])('%s codec: frames built in place', (_name, make) => {
  it('leaves FRAME_HEADER_BYTES free in front of exactly the bytes encode() gives', () => {
    const codec = make();
    for (const v of values) {
      const framed = codec.encodeFramed(v);
      expect(framed.length).toBe(FRAME_HEADER_BYTES + codec.encode(v).length);
      expect(framed.subarray(FRAME_HEADER_BYTES).equals(codec.encode(v))).toBe(true);
    }
  });

  it('gives the same bytes as encodeFrame for the same payload, header included', () => {
    const codec = make();
    let id = 0xfffffff0;
    for (const v of values) {
      for (const [type, flags] of [
        [FrameType.REQUEST, 0],
        [FrameType.RESPONSE, 0],
        [FrameType.ERROR, FrameFlags.NOT_PROCESSED],
      ]) {
        id = (id + 1) >>> 0;
        const inPlace = finishFrame(codec.encodeFramed(v), type, flags, id);
        expect(inPlace.toString('hex')).toBe(asOneBuffer(encodeFrame(type, flags, id, codec.encode(v))).toString('hex'));
      }
    }
  });

  it('keeps every frame intact while several are held before any is written', () => {
    const codec = make();
    const held: Buffer[] = [];
    const expected: Buffer[] = [];
    // Enough frames to fill msgpackr's 8 KiB working buffer several times over, sizes mixed.
    for (let i = 0; i < 200; i++) {
      const value = ['Svc', 'echo', ['y'.repeat((i * 97) % 1500), i], i % 3 === 0 ? { k: String(i) } : null, i];
      held.push(finishFrame(codec.encodeFramed(value), FrameType.REQUEST, 0, i + 1));
      expected.push(asOneBuffer(encodeFrame(FrameType.REQUEST, 0, i + 1, codec.encode(value))));
    }
    // Packing more afterwards must not write over what is held either.
    for (let i = 0; i < 50; i++) codec.encodeFramed({ filler: 'z'.repeat(4000), i });
    for (let i = 0; i < held.length; i++) expect(held[i].equals(expected[i])).toBe(true);
    const frames = decodeAll(held);
    expect(frames.map((f) => f.id)).toEqual(held.map((_, i) => i + 1));
    frames.forEach((f, i) => expect((codec.decode(f.payload) as unknown[])[4]).toBe(i));
  });

  it('frames a large payload (over 64 KiB and 1 MiB) as one buffer with the right length', () => {
    const codec = make();
    for (const size of [64 * KIB + 1, 1024 * KIB + 3]) {
      const before = finishFrame(codec.encodeFramed('a'.repeat(100)), FrameType.RESPONSE, 0, 1);
      const beforeCopy = Buffer.from(before);
      const big = 'b'.repeat(size);
      const frame = finishFrame(codec.encodeFramed(big), FrameType.RESPONSE, 0, 7);
      const payloadBytes = codec.encode(big).length;
      expect(frame.length).toBe(FRAME_HEADER_BYTES + payloadBytes);
      expect(frame.readUInt32BE(0)).toBe(payloadBytes);
      expect(frame[4]).toBe(FrameType.RESPONSE);
      expect(frame.readUInt32BE(6)).toBe(7);
      expect(codec.decode(frame.subarray(FRAME_HEADER_BYTES))).toBe(big);
      expect(before.equals(beforeCopy)).toBe(true);
      const [decoded] = decodeAll([frame]);
      expect(decoded.payload.length).toBe(payloadBytes);
    }
  });

  it('encodeRequestFramed and encodeErrorFramed carry what encodeRequest and encodeError do', () => {
    const codec = make();
    const req = encodeRequestFramed(codec, 'Arith', 'add', [1, 2], { trace: 't' }, 250);
    expect(req.subarray(FRAME_HEADER_BYTES).equals(encodeRequest(codec, 'Arith', 'add', [1, 2], { trace: 't' }, 250))).toBe(true);
    expect(decodeRequest(codec, req.subarray(FRAME_HEADER_BYTES))).toEqual({ service: 'Arith', method: 'add', args: [1, 2], metadata: { trace: 't' }, timeoutMs: 250 });
    const noMd = encodeRequestFramed(codec, 'S', 'm', [], {}, 0);
    expect(codec.decode(noMd.subarray(FRAME_HEADER_BYTES))).toEqual(['S', 'm', [], null, 0]);

    const err = encodeErrorFramed(codec, 'NOT_FOUND', 'no such user', { reason: 'X' });
    expect(err.subarray(FRAME_HEADER_BYTES).equals(encodeError(codec, 'NOT_FOUND', 'no such user', { reason: 'X' }))).toBe(true);
    expect(decodeError(codec, err.subarray(FRAME_HEADER_BYTES))).toEqual({ code: 'NOT_FOUND', message: 'no such user', details: { reason: 'X' } });
    const bare = encodeErrorFramed(codec, 'UNAVAILABLE', 'draining', undefined);
    expect(decodeError(codec, bare.subarray(FRAME_HEADER_BYTES))).toEqual({ code: 'UNAVAILABLE', message: 'draining' });
  });
});

describe('encodeErrorFramed', () => {
  it('drops details the codec cannot carry, as encodeError does', () => {
    const codec = new MsgpackCodec();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const json = new JsonCodec();
    const frame = encodeErrorFramed(json, 'INTERNAL', 'boom', circular);
    expect(decodeError(json, frame.subarray(FRAME_HEADER_BYTES))).toEqual({ code: 'INTERNAL', message: 'boom (details could not be encoded)' });
    expect(frame.subarray(FRAME_HEADER_BYTES).equals(encodeError(json, 'INTERNAL', 'boom', circular))).toBe(true);
    // msgpack carries the same error with its details.
    expect(decodeError(codec, encodeErrorFramed(codec, 'INTERNAL', 'boom', { n: 1 }).subarray(FRAME_HEADER_BYTES)).details).toEqual({ n: 1 });
  });
});
