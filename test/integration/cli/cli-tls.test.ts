import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CalcService } from '../../fixtures/cli/calc.service';
import { Harness } from '../../helpers/apps';
import { testCerts, type TestCerts } from '../../helpers/certs';
import { rivet, stderrError } from '../../helpers/cli';

// Every test here runs the CLI as a child process, some several times: room for a loaded machine.
jest.setTimeout(120_000);

const h = new Harness();
afterEach(() => h.close());

let certs: TestCerts;
let dir: string;
const file = (name: string) => path.join(dir, name);
beforeAll(async () => {
  certs = await testCerts();
  dir = mkdtempSync(path.join(tmpdir(), 'rivet-cli-tls-'));
  writeFileSync(file('ca.pem'), certs.ca);
  writeFileSync(file('other-ca.pem'), certs.otherCa);
  writeFileSync(file('alice.pem'), certs.alice.cert);
  writeFileSync(file('alice.key'), certs.alice.key);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tlsServer = () => ({ key: certs.server.key, cert: certs.server.cert });

describe('rivet over TLS', () => {
  it('calls a TLS server with --tls --cacert', async () => {
    const { address } = await h.serve({ services: [CalcService], tls: tlsServer() });
    const run = await rivet(['call', '--addr', address, '--tls', '--cacert', file('ca.pem'), 'Calc.multiply', '[6,7]']);
    expect(run).toMatchObject({ code: 0, stdout: '42\n', stderr: '' });
  });

  it('exits 78 with the TLS reason in the JSON error when the certificate is not trusted', async () => {
    const { address } = await h.serve({ services: [CalcService], tls: tlsServer() });
    const run = await rivet(['call', '--addr', address, '--cacert', file('other-ca.pem'), 'Calc.multiply', '[6,7]']);
    expect(run.code).toBe(78);
    expect(run.stdout).toBe('');
    const err = stderrError(run);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.details).toMatchObject({ reason: 'TLS', tls: { reason: 'unknown-ca' } });
  });

  it('exits 78 with a hostname mismatch reason when --servername does not match', async () => {
    const { address } = await h.serve({ services: [CalcService], tls: tlsServer() });
    const run = await rivet(['ls', '--addr', address, '--cacert', file('ca.pem'), '--servername', 'other.example']);
    expect(run.code).toBe(78);
    expect(run.stdout).toBe('');
    expect(stderrError(run).details).toMatchObject({ reason: 'TLS', tls: { reason: 'hostname-mismatch' } });
  });

  it('skips verification with --insecure, and warns on stderr', async () => {
    const { address } = await h.serve({ services: [CalcService], tls: tlsServer() });
    const run = await rivet(['call', '--addr', address, '--insecure', 'Calc.multiply', '[2,3]']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('6\n');
    expect(run.stderr).toBe('rivet: warning: --insecure: the server certificate is not verified; anyone on the path can read and change these calls\n');
  });

  it('presents a client certificate for mutual TLS with --cert and --key', async () => {
    const { address } = await h.serve({ services: [CalcService], tls: { ...tlsServer(), ca: certs.ca, requestCert: true } });
    const withCert = await rivet(['ls', '--addr', address, '--cacert', file('ca.pem'), '--cert', file('alice.pem'), '--key', file('alice.key'), '-o', 'json']);
    expect(withCert.code).toBe(0);
    expect(JSON.parse(withCert.stdout).services[0].name).toBe('Calc');
    const without = await rivet(['ls', '--addr', address, '--cacert', file('ca.pem')]);
    expect(without.code).toBe(78);
    expect(without.stdout).toBe('');
    expect(stderrError(without).details).toMatchObject({ reason: 'TLS' });
  });

  it('exits 78 when a plain client meets a TLS server, and 2 for --cert without --key', async () => {
    const { address } = await h.serve({ services: [CalcService], tls: tlsServer() });
    const plain = await rivet(['call', '--addr', address, 'Calc.multiply', '[1,1]', '--timeout', '2s']);
    expect(plain.code).toBe(78);
    expect(plain.stdout).toBe('');
    const half = await rivet(['call', '--addr', address, '--cert', file('alice.pem'), 'Calc.multiply', '[1,1]']);
    expect(half.code).toBe(2);
  });
});
