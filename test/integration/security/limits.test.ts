import { FixtureService } from '../../fixtures/fixture-service';
import { Harness, outcomeCode, waitFor } from '../../helpers/apps';
import { logSink } from '../../helpers/log-sink';

const h = new Harness();
afterEach(() => h.close());
const policy = { retry: false as const, timeoutMs: 5_000 };


describe('server limits through createApp', () => {
  it('refuses connections beyond maxConnections, logging why, and keeps serving the others', async () => {
    const { logger, lines } = logSink();
    await h.serve({ services: [FixtureService], logger, limits: { maxConnections: 1 } });
    const first = h.client({ policy });
    await expect(first.invoke('Fixture', 'echo', ['one'])).resolves.toBe('one');
    const second = h.client({ policy });
    await expect(outcomeCode(second.invoke('Fixture', 'echo', ['two']))).resolves.toBe('UNAVAILABLE');
    expect(lines.find((l) => l.msg === 'refusing connection: maxConnections reached')).toMatchObject({ level: 40, maxConnections: 1, peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    await expect(first.invoke('Fixture', 'echo', ['again'])).resolves.toBe('again');
  });

  it('answers RESOURCE_EXHAUSTED to calls beyond maxInFlightPerConnection, without running them', async () => {
    const { app } = await h.serve({ services: [FixtureService], limits: { maxInFlightPerConnection: 2 } });
    const client = h.client({ policy });
    const slow = { metadata: { 'x-delay-ms': '300' } };
    const codes = await Promise.all(['a', 'b', 'c'].map((k) => outcomeCode(client.invoke('Fixture', 'behave', [k], slow))));
    expect(codes.sort()).toEqual(['OK', 'OK', 'RESOURCE_EXHAUSTED']);
    expect(app.get(FixtureService).log.started).toHaveLength(2);
    // Once the slots are free, calls run again.
    await expect(outcomeCode(client.invoke('Fixture', 'behave', ['d']))).resolves.toBe('OK');
  });

  it('closes a connection idle for idleTimeoutMs, and the client reconnects on its next call', async () => {
    const { logger, lines } = logSink('debug');
    await h.serve({ services: [FixtureService], logger, limits: { idleTimeoutMs: 150 } });
    const client = h.client({ policy });
    await expect(client.invoke('Fixture', 'echo', [1])).resolves.toBe(1);
    expect(client.endpoints('Fixture')[0].state).toBe('ready');
    const started = Date.now();
    await waitFor(() => lines.some((l) => l.msg === 'connection closed' && l.component === 'server'), 5_000, 'the idle close');
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    await waitFor(() => client.endpoints('Fixture')[0].state !== 'ready', 5_000, 'the client to see the close');
    await expect(client.invoke('Fixture', 'echo', [2])).resolves.toBe(2);
  });
});
