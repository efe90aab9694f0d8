import { createTestApp, type TestApp } from '../../src/testing';
import { MarketService } from '../../samples/streaming/market.service';

describe('the streaming sample under createTestApp (in-memory transport)', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close({ drainTimeoutMs: 1_000 });
    app = undefined;
  });

  it('streams prices until the caller breaks, which closes the feed on the server', async () => {
    app = await createTestApp({ services: [MarketService] });
    const market = app.client(MarketService);
    const seqs: number[] = [];
    for await (const tick of market.prices('ACME')) {
      seqs.push(tick.seq);
      if (seqs.length === 5) break;
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    const feed = app.get(MarketService);
    for (let i = 0; i < 100 && !feed.feedClosed; i++) await new Promise((r) => setTimeout(r, 5));
    expect(feed.feedClosed).toBe(true);
  });

  it('uploads chunks and chats both ways', async () => {
    app = await createTestApp({ services: [MarketService] });
    const market = app.client(MarketService);
    await expect(market.upload([Buffer.alloc(10), Buffer.alloc(20)], 'a.bin')).resolves.toEqual({ name: 'a.bin', bytes: 30, chunks: 2 });
    const replies: string[] = [];
    for await (const r of market.chat(['hi', 'why?'], 'bo')) replies.push(r);
    expect(replies).toEqual(['bo joined', 'bot: noted "hi"', 'bot: good question, bo', 'bo left']);
  });
});
