import { FixtureService } from '../../fixtures/fixture-service';
import { Harness, rejection } from '../../helpers/apps';
import { RawSocket } from '../../helpers/raw-socket';

// The handshake tells strangers less, when asked: HELLO_ACK is read by any peer before any
// authentication, so an app can keep its method facts out of it.

describe('advertiseMethods', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('lists every service and method with its facts by default', async () => {
    const { port } = await h.serve({ services: [FixtureService] });
    const raw = await RawSocket.connect(port);
    try {
      const ack = await raw.handshake();
      expect(ack.services.Fixture.methods.behave).toEqual({ idempotent: true });
    } finally {
      await raw.destroy();
    }
  });

  it('with advertiseMethods: false the handshake lists no method facts', async () => {
    const { port } = await h.serve({ services: [FixtureService], advertiseMethods: false });
    const raw = await RawSocket.connect(port);
    try {
      const ack = await raw.handshake();
      expect(ack.services).toEqual({});
      expect(JSON.stringify(ack)).not.toMatch(/behave|idempotent/);
    } finally {
      await raw.destroy();
    }
  });

  it('a by-name client then treats methods as not idempotent: a failure after the request was sent is not retried', async () => {
    const { app, address } = await h.serve({ services: [FixtureService], advertiseMethods: false });
    const client = h.client({ endpoints: { Fixture: [address] } });
    const err = await rejection(client.invoke('Fixture', 'behave', ['once'], { metadata: { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1' } }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(app.get(FixtureService).log.started).toEqual(['once']);
    // The same call to an app that advertises is known idempotent, and retried.
    const open = await h.serve({ services: [FixtureService] });
    const other = h.client({ endpoints: { Fixture: [open.address] } });
    await other.invoke('Fixture', 'echo', ['learn the facts']);
    await expect(other.invoke('Fixture', 'behave', ['twice'], { metadata: { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1' } })).resolves.toMatchObject({ key: 'twice' });
  });

  it('rejects a non-boolean advertiseMethods at createApp', async () => {
    await expect(h.serve({ services: [FixtureService], advertiseMethods: 'no' as never })).rejects.toMatchObject({ name: 'RivetConfigError', message: expect.stringContaining('advertiseMethods') });
  });
});
