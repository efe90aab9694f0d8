import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Harness } from '../../helpers/apps';
import { StreamsService, until } from './stream-fixture';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('streams leave nothing behind', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('after 1,000 streams that completed, broke, errored or were cancelled, the stream tables are empty and the heap is back within 8 MB', async () => {
    // A server that allows 5 open streams per connection: a stream left in its table would soon
    // make the next ones fail with TOO_MANY_STREAMS.
    const { app } = await h.serve({ services: [StreamsService], limits: { maxStreamsPerConnection: 5 } });
    const client = h.client({ policy: { retry: false } });
    const svc = app.get(StreamsService);
    const remote = client.proxy(StreamsService);
    const one = async (i: number): Promise<void> => {
      switch (i % 4) {
        case 0:
          for await (const _ of remote.range(20));
          return;
        case 1:
          for await (const _ of remote.endless()) break;
          return;
        case 2:
          try {
            for await (const _ of remote.failAfter(3));
          } catch {
            /* the error is the point */
          }
          return;
        default: {
          const s = remote.endless();
          await s[Symbol.asyncIterator]().next();
          s.cancel();
        }
      }
    };
    // Warm up (JIT, pools), then measure.
    for (let i = 0; i < 100; i += 4) await Promise.all([one(i), one(i + 1), one(i + 2), one(i + 3)]);
    await until(() => client.stats().endpoints.every((e) => e.inFlight === 0));
    const before = heapUsed();
    for (let i = 0; i < 1_000; i += 4) await Promise.all([one(i), one(i + 1), one(i + 2), one(i + 3)]);
    await until(() => client.stats().endpoints.every((e) => e.inFlight === 0), 3_000, 'client streams to close');
    // Every endless handler ran its finally: none is left suspended on the server.
    await until(() => svc.log.finallyRan === 550, 3_000, 'every endless handler to finish');
    const after = heapUsed();
    console.log(`no-leaks: heap before ${(before / 1e6).toFixed(1)} MB, after ${(after / 1e6).toFixed(1)} MB`);
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
    // The server's table is empty: five streams open at once again, with room for no more.
    const open = [remote.endless(), remote.endless(), remote.endless(), remote.endless(), remote.endless()];
    for (const s of open) await s[Symbol.asyncIterator]().next();
    for (const s of open) s.cancel();
  }, 60_000);
});
