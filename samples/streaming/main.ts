/*
 * The streaming sample, in one process over real TCP: a price feed read by a slow consumer (the
 * producer waits for it), an upload with progress (a client stream), and a chat (bidirectional).
 * Exits 0 once all three have run.
 */
import { createApp, MemoryRegistry } from '../../src';
import { MarketService } from './market.service';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const registry = new MemoryRegistry();
  // A small window makes flow control visible: the feed stays at most 8 ticks (+1) ahead.
  const server = await createApp({ services: [MarketService], registry, logger: false, streams: { window: { messages: 8 } } });
  await server.listen(0);
  const client = await createApp({ services: [], registry, logger: false, streams: { window: { messages: 8 } } });
  const market = client.client(MarketService);
  const feed = server.get(MarketService);

  console.log('1. price feed, read slowly (20 ms a tick):');
  let consumed = 0;
  let maxAhead = 0;
  for await (const tick of market.prices('ACME')) {
    consumed++;
    maxAhead = Math.max(maxAhead, feed.produced - consumed);
    if (consumed % 5 === 0) console.log(`   tick ${tick.seq} ${tick.symbol} ${tick.price.toFixed(2)}: produced ${feed.produced}, consumed ${consumed}`);
    await sleep(20);
    if (consumed === 20) break; // cancels the stream: the generator's finally runs on the server
  }
  for (let i = 0; i < 50 && !feed.feedClosed; i++) await sleep(10);
  console.log(`   the producer was never more than ${maxAhead} ticks ahead (window 8); feed closed on the server: ${feed.feedClosed}`);

  console.log('2. upload with progress:');
  const total = 16;
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 1; i <= total; i++) {
      yield Buffer.alloc(64 * 1024, i);
      // Taken from here only as the server grants credit: this is the upload's real progress.
      if (i % 4 === 0) console.log(`   sent ${i}/${total} chunks (${i * 64} KiB)`);
    }
  }
  const summary = await market.upload(chunks(), 'report.bin');
  console.log(`   server received ${summary.chunks} chunks, ${summary.bytes} bytes of ${summary.name}`);

  console.log('3. chat:');
  async function* say(): AsyncGenerator<string> {
    for (const line of ['hello', 'is streaming hard?', 'bye']) {
      console.log(`   me: ${line}`);
      yield line;
      await sleep(10);
    }
  }
  for await (const reply of market.chat(say(), 'ada')) console.log(`   ${reply}`);

  await client.close();
  await server.close({ drainTimeoutMs: 1_000 });
  const ok = consumed === 20 && maxAhead <= 9 && feed.feedClosed && summary.bytes === total * 64 * 1024;
  console.log(ok ? 'streaming sample: ok' : 'streaming sample: FAILED');
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
