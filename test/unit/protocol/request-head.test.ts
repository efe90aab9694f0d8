import { createCodec } from '../../../src/protocol';
import { FRAME_HEADER_BYTES } from '../../../src/protocol/frame';
import { decodeRequestBody, encodeRequestV2Framed, readRequestHead, RequestHead } from '../../../src/protocol/request-head';

const codec = createCodec('msgpack');

function payloadOf(service: string, method: string, args: unknown[], md: Record<string, string> | null, timeoutMs: number): Buffer {
  return encodeRequestV2Framed(codec, service, method, args, md, timeoutMs).subarray(FRAME_HEADER_BYTES);
}

describe('v2 request head', () => {
  it('reads the deadline and the spans without decoding names, and decodes them on demand', () => {
    const p = payloadOf('Arith', 'multiply', [7, 8], { tenant: 'acme' }, 1_234);
    const head = new RequestHead();
    expect(readRequestHead(p, head)).toBeUndefined();
    expect(head.timeoutMs).toBe(1_234);
    expect(head.serviceName(p)).toBe('Arith');
    expect(head.methodName(p)).toBe('multiply');
    // The names' span is the two length fields and the two names.
    expect(head.bodyOffset - head.namesAt).toBe(2 + 5 + 2 + 8);
    expect(decodeRequestBody(codec, p, head.bodyOffset)).toEqual({ args: [7, 8], metadata: { tenant: 'acme' } });
  });

  it('keeps non-ASCII names and the largest timeout', () => {
    const p = payloadOf('Café', 'crème', [], null, 0xffff_ffff + 10);
    const head = new RequestHead();
    expect(readRequestHead(p, head)).toBeUndefined();
    expect(head.timeoutMs).toBe(0xffff_ffff);
    expect([head.serviceName(p), head.methodName(p)]).toEqual(['Café', 'crème']);
    expect(decodeRequestBody(createCodec('msgpack'), p, head.bodyOffset)).toEqual({ args: [], metadata: {} });
  });

  it('carries long names (past the inline copy and past the codec reserve) and refuses names of 64 KiB', () => {
    for (const len of [40, 100, 300]) {
      const svc = 'S'.repeat(len);
      const p = payloadOf(svc, 'm'.repeat(len), [len], null, 9);
      const head = new RequestHead();
      expect(readRequestHead(p, head)).toBeUndefined();
      expect([head.serviceName(p), head.methodName(p)]).toEqual([svc, 'm'.repeat(len)]);
      expect(decodeRequestBody(codec, p, head.bodyOffset).args).toEqual([len]);
    }
    expect(() => payloadOf('x'.repeat(0x10000), 'm', [], null, 1)).toThrow('service and method names must be under 64 KiB');
  });

  it('says what is truncated', () => {
    const p = payloadOf('Arith', 'multiply', [1], null, 10);
    const head = new RequestHead();
    expect(readRequestHead(p.subarray(0, 7), head)).toBe('request head is truncated');
    expect(readRequestHead(p.subarray(0, 9), head)).toBe('request head is truncated');
    expect(readRequestHead(p.subarray(0, 6 + 5 + 2 + 3), head)).toBe('request head is truncated');
  });

  it('decodes the body from its offset with the JSON codec too', () => {
    const json = createCodec('json');
    const p = encodeRequestV2Framed(json, 'S', 'm', [{ a: 1 }], { k: 'v' }, 5).subarray(FRAME_HEADER_BYTES);
    const head = new RequestHead();
    expect(readRequestHead(p, head)).toBeUndefined();
    expect(decodeRequestBody(json, p, head.bodyOffset)).toEqual({ args: [{ a: 1 }], metadata: { k: 'v' } });
  });
});
