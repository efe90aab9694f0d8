import { Writable } from 'node:stream';
import { Outbox, OUTBOX_COALESCE_BYTES, OUTBOX_FLUSH_BYTES, OUTBOX_FLUSH_FRAMES } from '../../../src/transport';

const tick = (): Promise<void> => new Promise(setImmediate);

/**
 * A real Writable that records each call of the underlying write (one entry per write or writev,
 * listing the pieces it was given)
 * and, while `stuck`, holds the write callbacks so its buffer stays full, as a slow socket's would.
 */
function recordingStream(highWaterMark: number) {
  const writes: string[][] = [];
  const held: Array<() => void> = [];
  const state = { stuck: false };
  const complete = (cb: () => void) => (state.stuck ? held.push(cb) : cb());
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk.toString()]);
      complete(cb);
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      complete(cb);
    },
  });
  return {
    stream,
    writes,
    state,
    /** Lets the stream finish what it holds. */
    release(): void {
      state.stuck = false;
      for (const cb of held.splice(0)) cb();
    },
  };
}

function frame(text: string): Buffer {
  return Buffer.from(text);
}

describe('Outbox', () => {
  it('sends the frames pushed in one tick together, in one write, at the end of the tick', async () => {
    const { stream, writes } = recordingStream(1024 * 1024);
    const outbox = new Outbox(stream, () => {});
    outbox.push(frame('a'));
    outbox.push(frame('bb'));
    outbox.push([frame('hdr'), frame('body')]);
    expect(writes).toEqual([]);
    expect(outbox.pendingBytes).toBe(10);
    await tick();
    // A small batch is copied into one buffer: one piece, the frames in order.
    expect(writes).toEqual([['abbhdrbody']]);
    expect(outbox.pendingBytes).toBe(0);
  });

  it('copies a batch under OUTBOX_COALESCE_BYTES into one piece, and writes a larger one as its frames', async () => {
    const { stream, writes } = recordingStream(1024 * 1024);
    const outbox = new Outbox(stream, () => {});
    const half = 'h'.repeat(OUTBOX_COALESCE_BYTES / 2);
    outbox.push(frame(half));
    outbox.push(frame(half.slice(1)));
    await tick();
    outbox.push(frame(half));
    outbox.push(frame(half));
    await tick();
    expect(writes).toEqual([[half + half.slice(1)], [half, half]]);
  });

  it('sends the frames of the next tick as a batch of their own', async () => {
    const { stream, writes } = recordingStream(1024 * 1024);
    const outbox = new Outbox(stream, () => {});
    outbox.push(frame('one'));
    await tick();
    outbox.push(frame('two'));
    outbox.push(frame('three'));
    await tick();
    expect(writes).toEqual([['one'], ['twothree']]);
  });

  it('flushes at once when the batch reaches OUTBOX_FLUSH_BYTES', async () => {
    const { stream, writes } = recordingStream(1024 * 1024);
    const outbox = new Outbox(stream, () => {});
    const small = 'x'.repeat(100);
    const rest = 'y'.repeat(OUTBOX_FLUSH_BYTES - 100 - 1);
    outbox.push(frame(small));
    outbox.push(frame(rest));
    expect(writes).toEqual([]);
    outbox.push(frame('z'));
    expect(writes).toEqual([[small, rest, 'z']]);
    await tick();
    expect(writes).toHaveLength(1);
  });

  it('flushes at once when the batch reaches OUTBOX_FLUSH_FRAMES, however small the frames', async () => {
    const { stream, writes } = recordingStream(1024 * 1024);
    const outbox = new Outbox(stream, () => {});
    const sent = Array.from({ length: OUTBOX_FLUSH_FRAMES * 2 + 3 }, (_, i) => `f${i}`);
    for (let i = 0; i < OUTBOX_FLUSH_FRAMES - 1; i++) outbox.push(frame(sent[i]));
    expect(writes).toEqual([]);
    outbox.push(frame(sent[OUTBOX_FLUSH_FRAMES - 1]));
    const joined = (from: number, to?: number): string[] => [sent.slice(from, to).join('')];
    expect(writes).toEqual([joined(0, OUTBOX_FLUSH_FRAMES)]);
    for (let i = OUTBOX_FLUSH_FRAMES; i < sent.length; i++) outbox.push(frame(sent[i]));
    expect(writes).toHaveLength(2);
    await tick();
    // The rest of the tick goes out at its end; nothing is lost or reordered.
    expect(writes).toEqual([joined(0, OUTBOX_FLUSH_FRAMES), joined(OUTBOX_FLUSH_FRAMES, 2 * OUTBOX_FLUSH_FRAMES), joined(2 * OUTBOX_FLUSH_FRAMES)]);
  });

  it('counts a frame sent as [header, payload] once toward OUTBOX_FLUSH_FRAMES', () => {
    const { stream, writes } = recordingStream(1024 * 1024);
    const outbox = new Outbox(stream, () => {});
    for (let i = 0; i < OUTBOX_FLUSH_FRAMES - 1; i++) outbox.push([frame('h'), frame('p')]);
    expect(writes).toEqual([]);
    outbox.push([frame('h'), frame('p')]);
    expect(writes).toEqual([['hp'.repeat(OUTBOX_FLUSH_FRAMES)]]);
  });

  it('flushes a single frame over OUTBOX_FLUSH_BYTES at once', () => {
    const { stream, writes } = recordingStream(1024 * 1024);
    const outbox = new Outbox(stream, () => {});
    const big = 'b'.repeat(OUTBOX_FLUSH_BYTES + 1);
    outbox.push(frame(big));
    expect(writes).toEqual([[big]]);
  });

  it('stops writing under backpressure until drain, then flushes the rest', async () => {
    const { stream, writes, state, release } = recordingStream(64);
    const pressure: boolean[] = [];
    const outbox = new Outbox(stream, (blocked) => pressure.push(blocked));
    state.stuck = true;

    const first = 'f'.repeat(100);
    outbox.push(frame(first));
    await tick();
    expect(writes).toEqual([[first]]);
    expect(pressure).toEqual([true]);

    // Held back while the stream is full, even past the flush threshold.
    const big = 'g'.repeat(OUTBOX_FLUSH_BYTES + 1);
    outbox.push(frame('second'));
    outbox.push(frame(big));
    await tick();
    expect(writes).toEqual([[first]]);
    expect(outbox.pendingBytes).toBe(6 + big.length);
    expect(pressure).toEqual([true]);

    release();
    await tick();
    // The second batch is over the highWaterMark too, so it blocks and drains once more.
    expect(pressure).toEqual([true, false, true, false]);
    expect(writes).toEqual([[first], ['second', big]]);
    expect(outbox.pendingBytes).toBe(0);
  });

  it('reports pressure once per blocked write and resumes on drain', async () => {
    const { stream, writes, state, release } = recordingStream(64);
    const pressure: boolean[] = [];
    const outbox = new Outbox(stream, (blocked) => pressure.push(blocked));
    state.stuck = true;
    outbox.push(frame('p'.repeat(64)));
    await tick();
    outbox.push(frame('q'));
    outbox.push(frame('r'));
    await tick();
    expect(pressure).toEqual([true]);
    release();
    await tick();
    expect(pressure).toEqual([true, false]);
    expect(writes).toEqual([['p'.repeat(64)], ['qr']]);
  });

  it('writes nothing to a destroyed stream', async () => {
    const { stream, writes } = recordingStream(1024);
    const outbox = new Outbox(stream, () => {});
    stream.destroy();
    outbox.push(frame('late'));
    await tick();
    expect(writes).toEqual([]);
  });

  it('drops what is queued on clear', async () => {
    const { stream, writes } = recordingStream(1024);
    const outbox = new Outbox(stream, () => {});
    outbox.push(frame('gone'));
    outbox.clear();
    expect(outbox.pendingBytes).toBe(0);
    await tick();
    expect(writes).toEqual([]);
  });
});
