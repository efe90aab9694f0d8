import fc from 'fast-check';
import { ReceiveWindow, SendCredit, StreamReceiver, resolveStreamWindow, DEFAULT_STREAM_WINDOW } from '../../../src/stream';

/**
 * A sender and a receiver wired back to back with no network: what the sender may send by its
 * credit, the receiver must accept, and no interleaving of sends and reads may stall.
 */
function simulate(window: { messages: number; bytes: number }, sizes: number[], steps: boolean[]): { delivered: number[]; maxBuffered: number; maxBufferedBytes: number } {
  const credit = new SendCredit();
  const rw = new ReceiveWindow(window);
  const grants: Array<[number, number]> = [];
  const receiver = new StreamReceiver<number>(rw, { grant: (m, b) => grants.push([m, b]), cancel: () => undefined });
  const open = rw.open();
  credit.add(open.messages, open.bytes);
  const delivered: number[] = [];
  const buffer: number[] = [];
  let next = 0;
  let maxBuffered = 0;
  let maxBufferedBytes = 0;
  let bufferedBytes = 0;
  let step = 0;
  // Run until everything is delivered; `steps` decides, while it lasts, whether the sender or the
  // reader moves; after that the reader drains and the sender sends whenever it can.
  let read = 0;
  for (let guard = 0; guard < 100_000 && read < sizes.length; guard++) {
    const senderTurn = step < steps.length ? steps[step++] : next < sizes.length && credit.available;
    if (senderTurn && next < sizes.length && credit.available) {
      const size = sizes[next];
      credit.take(size);
      expect(receiver.push(next, size)).toBe(true);
      buffer.push(size);
      bufferedBytes += size;
      next++;
      maxBuffered = Math.max(maxBuffered, receiver.buffered);
      maxBufferedBytes = Math.max(maxBufferedBytes, bufferedBytes);
    } else if (receiver.buffered > 0) {
      // next() on a buffered receiver settles synchronously inside the promise; read its value.
      void receiver.next().then((r) => delivered.push(r.value as number));
      read++;
      bufferedBytes -= buffer.shift() as number;
    } else if (!(next < sizes.length && credit.available)) {
      throw new Error(`stalled after ${read} of ${sizes.length}`);
    }
    for (const [m, b] of grants.splice(0)) credit.add(m, b);
  }
  return { delivered, maxBuffered, maxBufferedBytes };
}

describe('credit windows', () => {
  it('never let a sender that follows its credit overrun the receiver, never stall, and bound the buffer by the window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ messages: fc.integer({ min: 1, max: 16 }), bytes: fc.integer({ min: 1, max: 4096 }) }),
        fc.array(fc.integer({ min: 0, max: 8192 }), { maxLength: 200 }),
        fc.array(fc.boolean(), { maxLength: 400 }),
        async (window, sizes, steps) => {
          const r = simulate(window, sizes, steps);
          await new Promise((resolve) => setImmediate(resolve));
          expect(r.delivered).toEqual(sizes.map((_, i) => i));
          expect(r.maxBuffered).toBeLessThanOrEqual(window.messages);
          // Bytes: the window, plus at most the one message that was allowed to go over it.
          expect(r.maxBufferedBytes).toBeLessThanOrEqual(window.bytes + Math.max(0, ...sizes));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('batches grants at half the window', () => {
    const rw = new ReceiveWindow({ messages: 32, bytes: 1 << 20 });
    rw.open();
    for (let i = 0; i < 15; i++) {
      expect(rw.accept(10)).toBe(true);
      expect(rw.consume(10)).toBe(false);
    }
    expect(rw.accept(10)).toBe(true);
    expect(rw.consume(10)).toBe(true);
    expect(rw.takeGrant()).toEqual({ messages: 16, bytes: 160 });
  });

  it('refuses a message sent past the credit', () => {
    const rw = new ReceiveWindow({ messages: 2, bytes: 100 });
    expect(rw.accept(1)).toBe(false);
    rw.open();
    expect(rw.accept(1)).toBe(true);
    expect(rw.accept(1)).toBe(true);
    expect(rw.accept(1)).toBe(false);
  });

  it('lets one message larger than the byte window through alone, then waits for its grant', () => {
    const credit = new SendCredit();
    credit.add(10, 100);
    expect(credit.available).toBe(true);
    credit.take(1_000);
    expect(credit.available).toBe(false);
    credit.add(1, 1_000);
    expect(credit.available).toBe(true);
  });

  it('validates windows when options are read', () => {
    expect(resolveStreamWindow('w', undefined)).toBe(DEFAULT_STREAM_WINDOW);
    expect(resolveStreamWindow('w', { messages: 1 })).toEqual({ messages: 1, bytes: 1 << 20 });
    expect(() => resolveStreamWindow('streams.window', { messages: 0 })).toThrow(/streams.window.messages must be a positive integer/);
    expect(() => resolveStreamWindow('streams.window', { messsages: 2 })).toThrow(/unknown key/);
  });
});

describe('StreamReceiver', () => {
  function make(window = { messages: 4, bytes: 1_000 }) {
    const calls: string[] = [];
    const rw = new ReceiveWindow(window);
    rw.open();
    const r = new StreamReceiver<number>(rw, { grant: (m, b) => calls.push(`grant ${m} ${b}`), cancel: () => calls.push('cancel') });
    return { r, calls };
  }

  it('grants at once while half a window is still buffered, and at the end of the turn once the buffer ran low', async () => {
    const rw = new ReceiveWindow({ messages: 8, bytes: 1_000 });
    rw.open();
    const grants: Array<[number, boolean]> = [];
    const r = new StreamReceiver<number>(rw, { grant: (m, _b, promptly) => grants.push([m, promptly]), cancel: () => undefined });
    // A whole window arrives in one read, as a stop-and-wait sender writes it.
    for (let i = 0; i < 8; i++) expect(r.push(i, 10)).toBe(true);
    for (let i = 0; i < 8; i++) expect((await r.next()).value).toBe(i);
    // The first grant left with 4 still to read (the sender refills meanwhile); the second with none.
    expect(grants).toEqual([
      [4, true],
      [4, false],
    ]);
  });

  it('delivers every buffered message before the error', async () => {
    const { r } = make();
    r.push(1, 1);
    r.push(2, 1);
    r.fail(new Error('boom'));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of r) seen.push(v);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1, 2]);
  });

  it('cancels the stream when the consumer breaks, and not after the end', async () => {
    const a = make();
    a.r.push(1, 1);
    for await (const _ of a.r) break;
    expect(a.calls).toContain('cancel');
    const b = make();
    b.r.push(1, 1);
    b.r.end();
    for await (const _ of b.r) break;
    expect(b.calls).not.toContain('cancel');
  });

  it('wakes a waiting consumer with the next message, the end or the error', async () => {
    const { r } = make();
    const first = r.next();
    r.push(7, 1);
    await expect(first).resolves.toEqual({ done: false, value: 7 });
    const second = r.next();
    r.end();
    await expect(second).resolves.toEqual({ done: true, value: undefined });
  });
});
