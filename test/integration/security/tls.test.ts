import { currentContext, isRpcError, Method, type PeerIdentity, RpcError, Service } from '../../../src';
import { Harness, waitFor } from '../../helpers/apps';
import { type KeyPair, testCerts, type TestCerts } from '../../helpers/certs';
import { logSink } from '../../helpers/log-sink';

@Service('Vault')
class VaultService {
  @Method()
  whoami(): { identity: PeerIdentity | undefined; peer: string | undefined } {
    const ctx = currentContext();
    return { identity: ctx?.peer?.identity, peer: ctx?.peer?.address };
  }

  @Method()
  open(): string {
    // An interceptor-free check on the verified identity, as a handler would make it.
    const subject = currentContext()?.peer?.identity?.subject;
    if (subject !== 'CN=alice,O=Rivet') throw new RpcError('PERMISSION_DENIED', 'only alice opens the vault');
    return 'opened';
  }
}

let certs: TestCerts;
beforeAll(async () => {
  certs = await testCerts();
});

const h = new Harness();
afterEach(() => h.close());

const serverTls = (pair: KeyPair) => ({ key: pair.key, cert: pair.cert });

/** What a call failed with: its code and the TLS reason in its details. */
async function failure(p: Promise<unknown>): Promise<{ code: string; reason: unknown; tls: unknown }> {
  try {
    await p;
  } catch (err) {
    if (!isRpcError(err)) throw err;
    const d = err.details as { reason?: unknown; tls?: { reason?: unknown } } | undefined;
    return { code: err.code, reason: d?.reason, tls: d?.tls?.reason };
  }
  throw new Error('expected the call to fail');
}

const noRetry = { retry: false as const, timeoutMs: 5_000 };

describe('TLS through createApp and createClient', () => {
  it('serves calls over TLS to a client that trusts the server’s CA', async () => {
    await h.serve({ services: [VaultService], tls: serverTls(certs.server) });
    const vault = h.client({ tls: { ca: certs.ca } }).proxy<VaultService>('Vault');
    await expect(vault.whoami()).resolves.toEqual({ identity: undefined, peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  });

  it.each([
    ['an expired certificate', () => certs.expiredServer, 'expired'],
    ['a certificate from a CA the client does not trust', () => certs.untrustedServer, 'unknown-ca'],
    ['a certificate for another host', () => certs.wrongHostServer, 'hostname-mismatch'],
  ])('refuses a server with %s as UNAVAILABLE, saying why, without hanging', async (_, pair, reason) => {
    await h.serve({ services: [VaultService], tls: serverTls(pair()) });
    const vault = h.client({ tls: { ca: certs.ca }, policy: noRetry }).proxy<VaultService>('Vault');
    const started = Date.now();
    await expect(failure(vault.whoami())).resolves.toEqual({ code: 'UNAVAILABLE', reason: 'TLS', tls: reason });
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('mutual TLS through createApp and createClient', () => {
  const mtls = () => ({ ...serverTls(certs.server), ca: certs.ca, requestCert: true });

  it('gives the handler the verified identity of the client certificate', async () => {
    await h.serve({ services: [VaultService], tls: mtls() });
    const vault = h.client({ tls: { ca: certs.ca, key: certs.alice.key, cert: certs.alice.cert } }).proxy<VaultService>('Vault');
    const { identity } = await vault.whoami();
    expect(identity).toEqual({
      subject: 'CN=alice,O=Rivet',
      san: ['DNS:alice.local', 'URI:spiffe://rivet.test/alice'],
      fingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
    });
    await expect(vault.open()).resolves.toBe('opened');
  });

  it('refuses a client without a certificate before any handler runs, and logs why', async () => {
    const { logger, lines } = logSink();
    const started = jest.fn();
    await h.serve({ services: [VaultService], tls: mtls(), logger, interceptors: [(_ctx, next) => (started(), next())] });
    const vault = h.client({ tls: { ca: certs.ca }, policy: noRetry }).proxy<VaultService>('Vault');
    await expect(failure(vault.whoami())).resolves.toEqual({ code: 'UNAVAILABLE', reason: 'TLS', tls: 'certificate-required' });
    await waitFor(() => lines.some((l) => String(l.msg).startsWith('refusing tls client')), 5_000, 'the refusal log line');
    expect(lines.find((l) => String(l.msg).startsWith('refusing tls client'))).toMatchObject({
      level: 40,
      msg: 'refusing tls client: client sent no certificate (ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE)',
      tls: { reason: 'certificate-required' },
    });
    expect(started).not.toHaveBeenCalled();
  });

  it('refuses a client whose certificate comes from another CA before any handler runs, and logs why', async () => {
    const { logger, lines } = logSink();
    const started = jest.fn();
    await h.serve({ services: [VaultService], tls: mtls(), logger, interceptors: [(_ctx, next) => (started(), next())] });
    const vault = h.client({ tls: { ca: certs.ca, key: certs.stranger.key, cert: certs.stranger.cert }, policy: noRetry }).proxy<VaultService>('Vault');
    // Node's TLS server drops such a client without a TLS alert, so all the client can tell is
    // that the connection closed during the handshake; the server's log says why.
    await expect(failure(vault.whoami())).resolves.toEqual({ code: 'UNAVAILABLE', reason: 'HANDSHAKE_FAILED', tls: undefined });
    await waitFor(() => lines.some((l) => String(l.msg).startsWith('refusing tls client')), 5_000, 'the refusal log line');
    expect(lines.find((l) => String(l.msg).startsWith('refusing tls client'))).toMatchObject({
      level: 40,
      msg: 'refusing tls client: client certificate refused (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      tls: { reason: 'unknown-ca' },
    });
    expect(started).not.toHaveBeenCalled();
  });
});
