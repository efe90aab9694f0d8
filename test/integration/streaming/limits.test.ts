import { Method, Service } from '../../../src';
import { Harness } from '../../helpers/apps';
import { StreamsService, until } from './stream-fixture';

@Service('Blobs')
class BlobsService {
  @Method({ stream: 'server' })
  async *blobs(count: number, size: number): AsyncGenerator<Buffer> {
    for (let i = 0; i < count; i++) yield Buffer.alloc(size, i);
  }

  @Method({ stream: 'client' })
  async take(chunks: AsyncIterable<Buffer>): Promise<number> {
    let n = 0;
    for await (const c of chunks) n += c.length;
    return n;
  }
}

describe('stream message sizes and windows over TCP', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('sends the request at once, before anyone iterates', async () => {
    const { app } = await h.serve({ services: [StreamsService] });
    const stream = h.client().proxy(StreamsService).endless();
    await until(() => app.get(StreamsService).log.calls === 1, 2_000, 'the handler to start');
    stream.cancel();
  });

  it('lets messages larger than the whole byte window through, one at a time', async () => {
    await h.serve({ services: [BlobsService] });
    const client = h.client();
    let n = 0;
    for await (const b of client.stream('Blobs', 'blobs', [20, 10_000], { window: { messages: 4, bytes: 100 } })) {
      expect((b as Buffer).length).toBe(10_000);
      n++;
    }
    expect(n).toBe(20);
    await expect(client.invoke('Blobs', 'take', [[Buffer.alloc(50_000), Buffer.alloc(50_000)]])).resolves.toBe(100_000);
  });

  it('fails a stream whose message exceeds the receiver frame limit with RESOURCE_EXHAUSTED, both ways', async () => {
    await h.serve({ services: [BlobsService], maxFrameBytes: 4_096 });
    const small = h.client({ maxFrameBytes: 4_096 });
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const b of small.stream('Blobs', 'blobs', [3, 8_000])) got.push((b as Buffer).length);
      })(),
    ).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { reason: 'FRAME_TOO_LARGE' } });
    expect(got).toEqual([]);
    await expect(small.invoke('Blobs', 'take', [[Buffer.alloc(100), Buffer.alloc(8_000)]])).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      details: { reason: 'FRAME_TOO_LARGE' },
    });
    // The connection lives on.
    await expect(small.invoke('Blobs', 'take', [[Buffer.alloc(100)]])).resolves.toBe(100);
  });
});
