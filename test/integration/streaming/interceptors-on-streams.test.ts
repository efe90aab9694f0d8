import { bearerAuth, Bulkhead, Method, Service } from '../../../src';
import { Harness } from '../../helpers/apps';
import { until } from './stream-fixture';

@Service('Guarded')
class GuardedService {
  open = 0;

  /** One stream at a time: the bulkhead slot is held until the stream ends. */
  @Bulkhead({ maxConcurrent: 1, maxQueue: 0 })
  @Method({ stream: 'server' })
  async *feed(): AsyncGenerator<number> {
    this.open++;
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      this.open--;
    }
  }
}

describe('server stages on streams', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('holds a bulkhead slot for the whole stream, and frees it when the stream ends', async () => {
    const { app } = await h.serve({ services: [GuardedService] });
    const client = h.client({ policy: { retry: false } });
    const first = client.stream('Guarded', 'feed', []);
    await first[Symbol.asyncIterator]().next();
    await expect(
      (async () => {
        for await (const _ of client.stream('Guarded', 'feed', [])) void _;
      })(),
    ).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { reason: 'BULKHEAD_FULL' } });
    first.cancel();
    await until(() => app.get(GuardedService).open === 0);
    let got = 0;
    for await (const _ of client.stream('Guarded', 'feed', [])) if (++got === 3) break;
    expect(got).toBe(3);
  });

  it('refuses a stream at its opening when bearerAuth refuses the caller, before any message', async () => {
    await h.serve({ services: [GuardedService], interceptors: [bearerAuth({ verify: (token) => (token === 'good' ? { user: 'ada' } : undefined) })] });
    const client = h.client();
    let got = 0;
    await expect(
      (async () => {
        for await (const _ of client.stream('Guarded', 'feed', [], { metadata: { authorization: 'Bearer bad' } })) got++;
      })(),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(got).toBe(0);
    for await (const _ of client.stream('Guarded', 'feed', [], { metadata: { authorization: 'Bearer good' } })) if (++got === 2) break;
    expect(got).toBe(2);
  });
});
