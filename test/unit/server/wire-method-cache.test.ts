import { createCodec } from '../../../src/protocol';
import { FRAME_HEADER_BYTES } from '../../../src/protocol/frame';
import { encodeRequestV2Framed, readRequestHead, RequestHead } from '../../../src/protocol/request-head';
import { Dispatcher } from '../../../src/server';

const codec = createCodec('msgpack');

function head(service: string, method: string): { p: Buffer; h: RequestHead } {
  const p = encodeRequestV2Framed(codec, service, method, [1], null, 100).subarray(FRAME_HEADER_BYTES);
  const h = new RequestHead();
  expect(readRequestHead(p, h)).toBeUndefined();
  return { p, h };
}

describe('Dispatcher.lookupHead (methods found by the bytes of their names)', () => {
  const dispatcher = new Dispatcher(
    [
      {
        name: 'Arith',
        middlewares: [],
        methods: [
          { name: 'add', handler: () => 1, idempotent: true, middlewares: [] },
          { name: 'sub', handler: () => 2, idempotent: true, middlewares: [] },
        ],
      },
      { name: 'Ari', middlewares: [], methods: [{ name: 'thadd', handler: () => 3, idempotent: true, middlewares: [] }] },
    ],
    [],
  );

  it('finds the same entry as lookup by name, first and later times', () => {
    for (let i = 0; i < 3; i++) {
      const { p, h } = head('Arith', 'add');
      expect(dispatcher.lookupHead(p, h)).toBe(dispatcher.lookup('Arith', 'add'));
      const sub = head('Arith', 'sub');
      expect(dispatcher.lookupHead(sub.p, sub.h)).toBe(dispatcher.lookup('Arith', 'sub'));
    }
  });

  it('tells apart names whose concatenation is the same (the length fields are part of the key)', () => {
    const a = head('Arith', 'add');
    const b = head('Ari', 'thadd');
    expect(dispatcher.lookupHead(a.p, a.h)?.service).toBe('Arith');
    expect(dispatcher.lookupHead(b.p, b.h)?.service).toBe('Ari');
    expect(dispatcher.lookupHead(b.p, b.h)?.method).toBe('thadd');
  });

  it('answers undefined for a method not served, every time', () => {
    for (let i = 0; i < 2; i++) {
      const { p, h } = head('Arith', 'divide');
      expect(dispatcher.lookupHead(p, h)).toBeUndefined();
      const other = head('Nope', 'add');
      expect(dispatcher.lookupHead(other.p, other.h)).toBeUndefined();
    }
  });
});
