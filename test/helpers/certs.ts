import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Throwaway certificates for TLS tests, made with the `openssl` CLI (1.1.1 or 3.x) in a temp dir
 * that is removed before the promise resolves. Keys are P-256: generating one costs a
 * millisecond, where RSA-2048 costs tens, so the whole set takes a few hundred milliseconds.
 * The set is made once per test file (jest gives each file its own module registry).
 */

/** A private key with its certificate, both PEM. */
export interface KeyPair {
  key: string;
  cert: string;
}

/** Every certificate the TLS tests need. */
export interface TestCerts {
  /** The CA both sides trust. */
  ca: string;
  /** A CA nobody in the tests trusts. */
  otherCa: string;
  /** Signed by `ca`; SANs IP:127.0.0.1 and DNS:localhost. */
  server: KeyPair;
  /** Signed by `ca`, valid only in January 2020 (SANs as `server`). */
  expiredServer: KeyPair;
  /** Signed by `ca`, for DNS:other.example only. */
  wrongHostServer: KeyPair;
  /** Signed by `otherCa` (SANs as `server`); `cert` is the leaf alone. */
  untrustedServer: KeyPair;
  /** `untrustedServer` with `otherCa` appended to `cert`, so the peer sees a self-signed root in the chain. */
  untrustedChainServer: KeyPair;
  /** Client certificate signed by `ca`: CN=alice,O=Rivet, SANs DNS:alice.local and URI:spiffe://rivet.test/alice. */
  alice: KeyPair;
  /** Client certificate signed by `otherCa`: CN=mallory. */
  stranger: KeyPair;
}

// One config for every command (set as OPENSSL_CONF too), so a host's openssl.cnf cannot change
// the result. `openssl ca` is used for the expired certificate only: it is the one 3.0 command
// that takes an explicit start date (`x509 -not_before` arrived in 3.4; `-days -1` makes a
// certificate whose end precedes its start).
const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
default_ca = expired_ca
[expired_ca]
database = index.txt
serial = serial
new_certs_dir = .
default_md = sha256
policy = any_name
unique_subject = no
[any_name]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[wrong_host_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
[alice_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:alice.local, URI:spiffe://rivet.test/alice
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
`;

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

let cached: Promise<TestCerts> | undefined;

/** The certificate set of this test file, generated on first use. Rejects when `openssl` fails or is missing. */
export function testCerts(): Promise<TestCerts> {
  cached ??= new Promise((resolve) => resolve(generate()));
  return cached;
}

function generate(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'rivet-certs-'));
  try {
    writeFileSync(join(dir, 'openssl.cnf'), CONFIG);
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    const env = { ...process.env, OPENSSL_CONF: join(dir, 'openssl.cnf') };
    const openssl = (...args: string[]): void => {
      try {
        execFileSync('openssl', args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
        throw new Error(`openssl ${args[0]} failed (is the openssl CLI installed?): ${stderr || (err as Error).message}`);
      }
    };
    const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
    let serial = 1;

    const makeCa = (name: string, cn: string): void => {
      openssl('req', '-x509', '-new', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`,
        '-subj', `/CN=${cn}`, '-days', '2', '-config', 'openssl.cnf', '-extensions', 'ca_ext');
    };
    const makeCsr = (name: string, subj: string): void => {
      openssl('req', '-new', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj, '-config', 'openssl.cnf');
    };
    const sign = (name: string, subj: string, ca: string, ext: string): KeyPair => {
      makeCsr(name, subj);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++),
        '-days', '1', '-extfile', 'openssl.cnf', '-extensions', ext, '-out', `${name}.crt`);
      return { key: read(`${name}.key`), cert: read(`${name}.crt`) };
    };

    makeCa('ca', 'Rivet Test CA');
    makeCa('other-ca', 'Other Test CA');
    const server = sign('server', '/CN=localhost', 'ca', 'server_ext');
    const wrongHostServer = sign('wrong-host', '/CN=other.example', 'ca', 'wrong_host_ext');
    const untrustedServer = sign('untrusted', '/CN=localhost', 'other-ca', 'server_ext');
    const alice = sign('alice', '/CN=alice/O=Rivet', 'ca', 'alice_ext');
    const stranger = sign('stranger', '/CN=mallory', 'other-ca', 'client_ext');

    makeCsr('expired', '/CN=localhost');
    openssl('ca', '-batch', '-notext', '-config', 'openssl.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'expired.csr',
      '-out', 'expired.crt', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z',
      '-extfile', 'openssl.cnf', '-extensions', 'server_ext');
    const expiredServer = { key: read('expired.key'), cert: read('expired.crt') };

    const otherCa = read('other-ca.crt');
    return {
      ca: read('ca.crt'),
      otherCa,
      server,
      expiredServer,
      wrongHostServer,
      untrustedServer,
      untrustedChainServer: { key: untrustedServer.key, cert: untrustedServer.cert + otherCa },
      alice,
      stranger,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
