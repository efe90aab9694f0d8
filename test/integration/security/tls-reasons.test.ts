import { createApp, Method, RemoteService, type Remote, Service, currentContext, type RpcError } from '../../../src';
import { Harness, rejection } from '../../helpers/apps';
import { type KeyPair, testCerts, type TestCerts } from '../../helpers/certs';

// A user must never see only "all draining or reconnecting" when the truth is "certificate
// expired": with retries on (the default), the later attempts find the endpoint backing off, and
// the call's final error must still name the TLS failure of the first.

@Service('Vault')
class VaultService {
  @Method({ idempotent: true })
  whoami(): string | undefined {
    return currentContext()?.peer?.identity?.subject;
  }
}

let certs: TestCerts;
beforeAll(async () => {
  certs = await testCerts();
});

const h = new Harness();
afterEach(() => h.close());

const serverTls = (pair: KeyPair) => ({ key: pair.key, cert: pair.cert });
const tlsOf = (err: RpcError) => (err.details as { tls?: { reason?: string; tlsCode?: string } } | undefined)?.tls;

describe('connection failures keep their reason through retries', () => {
  it.each([
    ['a CA the client does not trust', () => certs.untrustedServer, 'unknown-ca', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT/],
    ['a certificate for another host name', () => certs.wrongHostServer, 'hostname-mismatch', /ERR_TLS_CERT_ALTNAME_INVALID/],
    ['an expired certificate', () => certs.expiredServer, 'expired', /CERT_HAS_EXPIRED/],
  ])('a server with %s ends in UNAVAILABLE whose message and details.tls say so, with the default retries', async (_, pair, reason, code) => {
    await h.serve({ services: [VaultService], tls: serverTls(pair()) });
    const vault = h.client({ tls: { ca: certs.ca }, policy: { timeoutMs: 5_000 } }).proxy<VaultService>('Vault');
    const err = await rejection(vault.whoami());
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(code);
    expect(tlsOf(err)).toEqual({ reason, tlsCode: expect.stringMatching(code) });
    // More than one attempt was made: the reason survived the ones that found the endpoint backing off.
    expect(err.attempts?.length).toBeGreaterThan(1);
  });

  it('NO_READY_ENDPOINT lists each endpoint’s last connection error', async () => {
    const gone = await h.serve({ services: [VaultService] });
    const other = await h.serve({ services: [VaultService] });
    await gone.app.close();
    await other.app.close();
    const client = h.client({ endpoints: { Vault: [gone.address, other.address] }, policy: { timeoutMs: 5_000, retry: false } });
    // Each call that finds an endpoint due tries it (ECONNREFUSED), and each failure doubles that
    // endpoint's reconnect backoff, so within a few calls both are backing off at once, however
    // slowly this machine runs.
    let err = await rejection(client.invoke('Vault', 'whoami'));
    for (let i = 0; i < 12 && (err.details as { reason?: string }).reason !== 'NO_READY_ENDPOINT'; i++) err = await rejection(client.invoke('Vault', 'whoami'));
    expect(err.code).toBe('UNAVAILABLE');
    const details = err.details as { reason: string; lastErrors: Array<{ endpoint: string; code: string; message: string }> };
    expect(details.reason).toBe('NO_READY_ENDPOINT');
    expect(details.lastErrors).toEqual(
      expect.arrayContaining([
        { endpoint: gone.address, code: 'UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') },
        { endpoint: other.address, code: 'UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') },
      ]),
    );
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toMatch(/all draining or reconnecting/);
  });
});

describe('TLS per target', () => {
  const mtls = () => ({ ...serverTls(certs.server), ca: certs.ca, requestCert: true });
  const alice = () => ({ ca: certs.ca, key: certs.alice.key, cert: certs.alice.cert });

  it('a proxy’s own tls policy calls an mTLS service with its client certificate, from a client with none', async () => {
    await h.serve({ services: [VaultService], tls: mtls() });
    const client = h.client({ tls: { ca: certs.ca }, policy: { retry: false } });
    const plain = client.proxy<VaultService>('Vault');
    const withCert = client.proxy<VaultService>('Vault', { tls: alice() });
    await expect(withCert.whoami()).resolves.toBe('CN=alice,O=Rivet');
    // Same address, other TLS settings: another connection, which the server refuses.
    const err = await rejection(plain.whoami());
    expect(err.code).toBe('UNAVAILABLE');
    expect((err.details as { reason: string }).reason).toMatch(/TLS|NO_READY_ENDPOINT/);
    await expect(withCert.whoami()).resolves.toBe('CN=alice,O=Rivet');
  });

  it('a plain TCP client reaches a TLS service through a proxy’s tls policy, and the app default policy takes tls too', async () => {
    await h.serve({ services: [VaultService], tls: serverTls(certs.server) });
    const client = h.client({ policy: { tls: { ca: certs.ca } } });
    await expect(client.invoke('Vault', 'whoami')).resolves.toBeUndefined();
    const bare = h.client();
    await expect(bare.proxy<VaultService>('Vault', { tls: { ca: certs.ca } }).whoami()).resolves.toBeUndefined();
  });

  it('@RemoteService(target, { tls }) lets a service call an mTLS service with its own client certificate', async () => {
    await h.serve({ services: [VaultService], tls: mtls() });

    @Service('Teller')
    class TellerService {
      constructor(@RemoteService('Vault', { tls: { ca: certs.ca, key: certs.alice.key, cert: certs.alice.cert } }) private readonly vault: Remote<VaultService>) {}

      @Method()
      ask(): Promise<string | undefined> {
        return this.vault.whoami();
      }
    }
    await h.serve({ services: [TellerService] });
    await expect(h.client().invoke('Teller', 'ask')).resolves.toBe('CN=alice,O=Rivet');
  });

  it('an app’s client takes tls from createApp’s clientTls, from its default policy, and from app.client’s policy', async () => {
    await h.serve({ services: [VaultService], tls: mtls() });
    const byClientTls = await h.serve({ services: [], clientTls: alice() });
    await expect(byClientTls.app.client<VaultService>('Vault').whoami()).resolves.toBe('CN=alice,O=Rivet');
    const byPolicy = await h.serve({ services: [], policy: { tls: alice() } });
    await expect(byPolicy.app.client<VaultService>('Vault').whoami()).resolves.toBe('CN=alice,O=Rivet');
    await expect(byPolicy.app.rpc.invoke('Vault', 'whoami')).resolves.toBe('CN=alice,O=Rivet');
    const plain = await h.serve({ services: [] });
    await expect(plain.app.client<VaultService>('Vault', { tls: alice() }).whoami()).resolves.toBe('CN=alice,O=Rivet');
    // The same app without tls for that target: another connection, plain TCP, which the server refuses.
    expect((await rejection(plain.app.client<VaultService>('Vault', { retry: false }).whoami())).code).toBe('UNAVAILABLE');
    // An app with clientTls alone serves plain TCP.
    await expect(h.client({ endpoints: { 'rivet.Health': [byClientTls.address] } }).invoke('rivet.Health', 'check', [])).resolves.toMatchObject({ status: 'SERVING' });
    await expect(createApp({ logger: false, services: [], clientTls: { cert: certs.alice.cert } })).rejects.toMatchObject({ name: 'RivetConfigError', message: expect.stringContaining('clientTls') });
  });

  it('refuses bad tls settings in a policy when the proxy is made', () => {
    const client = h.client();
    expect(() => client.proxy('Vault', { tls: { cert: certs.alice.cert } })).toThrow(expect.objectContaining({ name: 'RivetConfigError', message: expect.stringContaining('tls') }));
  });
});
