import fc from 'fast-check';
import { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, FrameFlags, FrameType } from '../../../src/protocol';

const KIB = 1024;

function asBuffers(frame: Buffer | [Buffer, Buffer]): Buffer[] {
  return Buffer.isBuffer(frame) ? [frame] : frame;
}

describe('encodeFrame', () => {
  it('writes length, type, flags and id big-endian ahead of the payload', () => {
    const frame = encodeFrame(FrameType.ERROR, FrameFlags.NOT_PROCESSED, 0x01020304, Buffer.from([0xaa, 0xbb, 0xcc]));
    expect(Buffer.isBuffer(frame)).toBe(true);
    expect((frame as Buffer).toString('hex')).toBe('00000003' + '05' + '01' + '01020304' + 'aabbcc');
  });

  it('writes ids above 2^31 as unsigned 32-bit numbers', () => {
    const frame = encodeFrame(FrameType.REQUEST, 0, 0xfffffffe) as Buffer;
    expect(frame.subarray(6, 10).toString('hex')).toBe('fffffffe');
    expect(frame.readUInt32BE(6)).toBe(4294967294);
    expect((encodeFrame(FrameType.REQUEST, 0, 0x80000000) as Buffer).readUInt32BE(6)).toBe(2147483648);
  });

  it('encodes a frame without a payload as a bare 10-byte header of length 0', () => {
    const frame = encodeFrame(FrameType.DRAIN, 0, 0);
    expect(Buffer.isBuffer(frame)).toBe(true);
    expect((frame as Buffer).toString('hex')).toBe('00000000' + '09' + '00' + '00000000');
  });

  it('returns a small frame as one buffer holding header and payload', () => {
    const payload = Buffer.alloc(64 * KIB, 0x5a);
    const frame = encodeFrame(FrameType.RESPONSE, 0, 42, payload);
    expect(Buffer.isBuffer(frame)).toBe(true);
    const buf = frame as Buffer;
    expect(buf.length).toBe(FRAME_HEADER_BYTES + 64 * KIB);
    expect(buf.readUInt32BE(0)).toBe(64 * KIB);
    expect(buf.subarray(FRAME_HEADER_BYTES).equals(payload)).toBe(true);
  });

  it('returns a frame over 64 KiB as [header, payload] without copying the payload', () => {
    const payload = Buffer.alloc(64 * KIB + 1, 0x33);
    const frame = encodeFrame(FrameType.RESPONSE, 0, 7, payload);
    expect(Array.isArray(frame)).toBe(true);
    const [header, body] = frame as [Buffer, Buffer];
    expect(header.toString('hex')).toBe('00010001' + '04' + '00' + '00000007');
    expect(body).toBe(payload);
  });

  it('wraps a large plain Uint8Array payload as a Buffer over the same memory', () => {
    const backing = new Uint8Array(200 * KIB);
    const payload = backing.subarray(16, 16 + 100 * KIB);
    const [, body] = encodeFrame(FrameType.REQUEST, 0, 1, payload) as [Buffer, Buffer];
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(body.buffer).toBe(backing.buffer);
    expect(body.byteOffset).toBe(16);
    expect(body.length).toBe(100 * KIB);
  });

  it('round-trips through the decoder: decode(encode(frames)) gives the same frames', () => {
    const frameArb = fc.record({
      type: fc.integer({ min: 1, max: 9 }),
      flags: fc.integer({ min: 0, max: 255 }),
      id: fc.integer({ min: 0, max: 0xffffffff }),
      payload: fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constant(new Uint8Array(70 * KIB).fill(9))),
    });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), (input) => {
        const out: string[][] = [];
        const decoder = new FrameDecoder(
          (type, flags, id, payload) => out.push([String(type), String(flags), String(id), payload.toString('hex')]),
          () => out.push(['error']),
          1024 * KIB,
        );
        for (const f of input) for (const part of asBuffers(encodeFrame(f.type, f.flags, f.id, f.payload))) decoder.push(part);
        expect(out).toEqual(input.map((f) => [String(f.type), String(f.flags), String(f.id), Buffer.from(f.payload).toString('hex')]));
      }),
      { numRuns: 100 },
    );
  });
});
