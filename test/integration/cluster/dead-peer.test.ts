import { createClient, type Balancer, type CallContext, type Client, type EndpointView } from '../../../src';
import { startChildApp, type ChildApp, type Whoami } from '../../fixtures/cluster/child-app';
import { rejection } from '../../helpers/apps';
import { watchLoopLag } from '../../helpers/loop-lag';

// A server process frozen with SIGSTOP keeps its sockets open: the kernel still accepts and
// acknowledges, but nothing answers. Only the client's keepalive pings can tell it is dead.

const KEEPALIVE = { intervalMs: 200, timeoutMs: 200 };
const CONNECT_TIMEOUT_MS = 250;

/**
 * Round-robin, except that a call carrying `x-pin` goes to that address (or fails when it is
 * not offered), so a test can put calls on one instance on purpose.
 */
class PinningBalancer implements Balancer {
  private next = 0;
  pick(endpoints: readonly EndpointView[], ctx: CallContext): EndpointView | undefined {
    const pin = ctx.metadata['x-pin'];
    if (pin !== undefined) return endpoints.find((e) => e.address === pin);
    return endpoints[this.next++ % endpoints.length];
  }
}

describe('a frozen peer', () => {
  const children: ChildApp[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(children.splice(0).map((c) => c.kill())); // SIGCONT, then SIGKILL
  });

  it('is found by keepalive pings: its in-flight calls settle UNAVAILABLE within 1 s, and the next calls go to the healthy instance', async () => {
    const frozen = await startChildApp({ label: 'frozen' });
    const healthy = await startChildApp({ label: 'healthy' });
    children.push(frozen, healthy);
    const client = createClient({
      logger: false,
      endpoints: { Fixture: [frozen.address, healthy.address] },
      keepalive: KEEPALIVE,
      // When its backoff ends, one call reopens the connection to the frozen process: the kernel
      // accepts it, the handshake never comes, and that call goes elsewhere after this long.
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      // Hanging calls must not be retried onto the healthy instance, where they would hang too.
      policy: { balancer: new PinningBalancer(), methods: { behave: { retry: false } } },
    });
    clients.push(client);
    const pinned = { 'x-pin': frozen.address };
    expect(await client.invoke('Fixture', 'whoami', [], { metadata: pinned })).toMatchObject({ label: 'frozen' });

    const hanging = Array.from({ length: 3 }, (_, i) =>
      rejection(client.invoke('Fixture', 'behave', [`hang-${i}`], { metadata: { ...pinned, 'x-hang': '1' }, timeoutMs: 20_000 })),
    );
    // Frames on one connection arrive in order: once this reply is back, the server holds all three.
    expect(await client.invoke('Fixture', 'whoami', [], { metadata: pinned })).toMatchObject({ label: 'frozen' });
    frozen.child.kill('SIGSTOP');
    const lag = watchLoopLag();
    const frozenAt = performance.now();
    const errors = await Promise.all(hanging);
    const settledAt = performance.now();
    lag.stop();

    // Keepalive runs in this process: a ping after 200 ms quiet, given up 200 ms later. The bound
    // allows for the time this process's event loop was measured to have lost meanwhile (a busy
    // machine), and no more.
    expect(settledAt - frozenAt).toBeLessThan(1_000 + lag.within(frozenAt, settledAt));
    for (const err of errors) expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'CONNECTION_LOST' } });
    const view = client.endpoints('Fixture').find((e) => e.address === frozen.address);
    expect(view?.state).toBe('backoff');

    // The healthy instance serves the next calls, for as long as the process stays frozen: for a
    // second (long enough for the frozen endpoint's backoff to end and a reconnect to be tried) and
    // at least 21 calls, however slowly a busy machine runs them. A call that picks the frozen
    // endpoint again must give up on it after connectTimeoutMs and still succeed elsewhere.
    const next: string[] = [];
    const until = performance.now() + 1_000;
    while (performance.now() < until || next.length <= 20) {
      next.push(((await client.invoke('Fixture', 'whoami', [], { timeoutMs: CONNECT_TIMEOUT_MS + 2_000 })) as Whoami).label);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(new Set(next)).toEqual(new Set(['healthy']));
  });
});
