import fc from 'fast-check';
import { FRAME_HEADER_BYTES, FrameDecoder, type FrameDecodeError } from '../../../src/protocol';

interface DecodedFrame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

interface TestFrame {
  type: number;
  flags: number;
  id: number;
  payload: Uint8Array;
}

/** Builds a frame by hand, so these tests do not depend on the encoder. */
function frameBytes(f: TestFrame, declaredLength = f.payload.length): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + f.payload.length);
  out.writeUInt32BE(declaredLength, 0);
  out[4] = f.type;
  out[5] = f.flags;
  out.writeUInt32BE(f.id, 6);
  out.set(f.payload, FRAME_HEADER_BYTES);
  return out;
}

/** Cuts `bytes` at the given offsets (taken modulo its length), keeping every byte in order. */
function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

function collector(maxFrameBytes = 1024 * 1024): { decoder: FrameDecoder; frames: DecodedFrame[]; errors: FrameDecodeError[] } {
  const frames: DecodedFrame[] = [];
  const errors: FrameDecodeError[] = [];
  const decoder = new FrameDecoder(
    // Copy: a payload may be a view of a chunk, valid only during the call.
    (type, flags, id, payload) => frames.push({ type, flags, id, payload: Buffer.from(payload) }),
    (err) => errors.push(err),
    maxFrameBytes,
  );
  return { decoder, frames, errors };
}

const frameArb: fc.Arbitrary<TestFrame> = fc.record({
  type: fc.integer({ min: 1, max: 9 }),
  flags: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1000, maxLength: 5000 })),
});

describe('FrameDecoder', () => {
  it('yields the same frames in order however the bytes are split or merged', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (input, cuts) => {
        const { decoder, frames, errors } = collector();
        for (const chunk of splitAt(Buffer.concat(input.map((f) => frameBytes(f))), cuts)) decoder.push(chunk);
        expect(errors).toEqual([]);
        // Hex strings compare far faster than Buffers element by element.
        const hex = (f: { type: number; flags: number; id: number; payload: Uint8Array }) => [f.type, f.flags, f.id, Buffer.from(f.payload).toString('hex')];
        expect(frames.map(hex)).toEqual(input.map(hex));
        expect(decoder.hasPartialFrame).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('reassembles a payload larger than one chunk from many chunks', () => {
    const payload = Buffer.alloc(100 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const bytes = frameBytes({ type: 4, flags: 0, id: 77, payload });
    const { decoder, frames } = collector();
    for (let off = 0; off < bytes.length; off += 1000) decoder.push(bytes.subarray(off, off + 1000));
    expect(frames).toHaveLength(1);
    expect(frames[0].id).toBe(77);
    expect(frames[0].payload.equals(payload)).toBe(true);
  });

  it('hands out a frame that lies whole inside one chunk as a view of that chunk', () => {
    // Buffer.alloc never uses the shared pool, so the chunk owns its ArrayBuffer alone.
    const first = frameBytes({ type: 3, flags: 0, id: 1, payload: Buffer.from('hello') });
    const second = frameBytes({ type: 3, flags: 0, id: 2, payload: Buffer.from('world!') });
    const chunk = Buffer.alloc(first.length + second.length);
    first.copy(chunk, 0);
    second.copy(chunk, first.length);
    const views: Buffer[] = [];
    const decoder = new FrameDecoder((_t, _f, _id, payload) => views.push(payload), () => {}, 1024);
    decoder.push(chunk);
    expect(views.map((v) => v.toString())).toEqual(['hello', 'world!']);
    expect(views[0].buffer).toBe(chunk.buffer);
    expect(views[0].byteOffset).toBe(chunk.byteOffset + FRAME_HEADER_BYTES);
    expect(views[1].buffer).toBe(chunk.buffer);
    expect(views[1].byteOffset).toBe(chunk.byteOffset + first.length + FRAME_HEADER_BYTES);
  });

  it('hands out a view of the chunk when only the header was split and the payload arrives whole', () => {
    const bytes = frameBytes({ type: 3, flags: 0, id: 5, payload: Buffer.from('payload') });
    const tail = Buffer.alloc(bytes.length - 4);
    bytes.copy(tail, 0, 4);
    const views: Buffer[] = [];
    const decoder = new FrameDecoder((_t, _f, _id, payload) => views.push(payload), () => {}, 1024);
    decoder.push(bytes.subarray(0, 4));
    decoder.push(tail);
    expect(views.map((v) => v.toString())).toEqual(['payload']);
    expect(views[0].buffer).toBe(tail.buffer);
  });

  it('fails as soon as a header declares more than the limit, before any payload byte arrives', () => {
    const { decoder, frames, errors } = collector(100);
    const oversize = frameBytes({ type: 3, flags: 0, id: 1, payload: Buffer.alloc(101) });
    expect(decoder.failed).toBe(false);
    decoder.push(oversize.subarray(0, FRAME_HEADER_BYTES));
    expect(errors).toEqual([{ reason: 'FRAME_TOO_LARGE', length: 101, limit: 100 }]);
    expect(decoder.failed).toBe(true);
    expect(frames).toEqual([]);
  });

  it('fails on an oversize header whose bytes arrive one at a time, at the last header byte', () => {
    const { decoder, errors } = collector(100);
    const header = frameBytes({ type: 3, flags: 0, id: 1, payload: new Uint8Array(0) }, 0xffffffff);
    for (let i = 0; i < FRAME_HEADER_BYTES - 1; i++) decoder.push(header.subarray(i, i + 1));
    expect(errors).toEqual([]);
    decoder.push(header.subarray(FRAME_HEADER_BYTES - 1));
    expect(errors).toEqual([{ reason: 'FRAME_TOO_LARGE', length: 0xffffffff, limit: 100 }]);
  });

  it('delivers nothing more after it has failed, and reports the failure once', () => {
    const { decoder, frames, errors } = collector(100);
    const good = frameBytes({ type: 4, flags: 0, id: 1, payload: Buffer.from('ok') });
    const oversize = frameBytes({ type: 3, flags: 0, id: 2, payload: Buffer.alloc(200) });
    decoder.push(Buffer.concat([good, oversize.subarray(0, FRAME_HEADER_BYTES)]));
    decoder.push(oversize.subarray(FRAME_HEADER_BYTES));
    decoder.push(good);
    decoder.push(Buffer.concat([good, good]));
    expect(frames.map((f) => f.id)).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('accepts a payload of exactly the limit', () => {
    const { decoder, frames, errors } = collector(100);
    decoder.push(frameBytes({ type: 4, flags: 0, id: 9, payload: Buffer.alloc(100, 7) }));
    expect(errors).toEqual([]);
    expect(frames).toHaveLength(1);
    expect(frames[0].payload.equals(Buffer.alloc(100, 7))).toBe(true);
  });

  it('accepts larger frames once maxFrameBytes is raised', () => {
    const { decoder, frames, errors } = collector(16);
    decoder.maxFrameBytes = 4096;
    decoder.push(frameBytes({ type: 4, flags: 0, id: 3, payload: Buffer.alloc(2000, 1) }));
    expect(errors).toEqual([]);
    expect(frames.map((f) => f.payload.length)).toEqual([2000]);
  });

  it('decodes a frame fed one byte at a time, delivering it on the last byte', () => {
    const bytes = frameBytes({ type: 7, flags: 1, id: 0x80000001, payload: Buffer.from('abc') });
    const { decoder, frames } = collector();
    for (let i = 0; i < bytes.length - 1; i++) {
      decoder.push(bytes.subarray(i, i + 1));
      expect(frames).toEqual([]);
      expect(decoder.hasPartialFrame).toBe(true);
    }
    decoder.push(bytes.subarray(bytes.length - 1));
    expect(frames).toEqual([{ type: 7, flags: 1, id: 0x80000001, payload: Buffer.from('abc') }]);
    expect(decoder.hasPartialFrame).toBe(false);
  });

  it('decodes an empty-payload frame whose header arrives one byte at a time', () => {
    const bytes = frameBytes({ type: 9, flags: 0, id: 0, payload: new Uint8Array(0) });
    const { decoder, frames } = collector();
    for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
    expect(frames).toEqual([{ type: 9, flags: 0, id: 0, payload: Buffer.alloc(0) }]);
  });
});
