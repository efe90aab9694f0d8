/*
 * The secure sample: a Treasury service over mutual TLS with bearer-token authentication and
 * @Authorize checks, and callers it lets in or keeps out.
 *
 *   npm run demo:secure
 *
 * Certificates come from scripts/gen-certs.sh into samples/secure/certs (made on first run, kept
 * after; that folder is git-ignored: never commit keys).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { bearerAuth, bearerToken, createApp, createClient, isRpcError, type Remote } from '../../src';
import { DEMO_TOKENS, type Teller, TreasuryService } from './treasury.service';

// Works from the sources and from dist-samples/samples/secure alike: the repository root is the
// nearest folder up with scripts/gen-certs.sh.
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'scripts', 'gen-certs.sh'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('cannot find scripts/gen-certs.sh above this sample');
  }
}

function loadCerts(root: string): (name: string) => string {
  const dir = path.join(root, 'samples', 'secure', 'certs');
  const made = spawnSync('bash', [path.join(root, 'scripts', 'gen-certs.sh'), dir], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error('scripts/gen-certs.sh failed (is openssl installed?)');
  return (name) => readFileSync(path.join(dir, name), 'utf8');
}

function show(step: string, outcome: unknown): void {
  console.log(`  ${step.padEnd(52)} ${typeof outcome === 'string' ? outcome : JSON.stringify(outcome)}`);
}

async function attempt(step: string, call: () => Promise<unknown>): Promise<void> {
  try {
    show(step, await call());
  } catch (err) {
    if (!isRpcError(err)) throw err;
    const tls = (err.details as { tls?: { reason?: string } } | undefined)?.tls?.reason;
    show(step, `${err.code}: ${err.message}${tls === undefined ? '' : ` (tls: ${tls})`}`);
  }
}

async function main(): Promise<void> {
  const file = loadCerts(repoRoot());
  const ca = file('ca.crt');
  // The server logs refused TLS clients and closed connections at warn; show those lines.
  const app = await createApp({
    services: [TreasuryService],
    tls: { key: file('server.key'), cert: file('server.crt'), ca, requestCert: true },
    interceptors: [bearerAuth<Teller>({ verify: (token) => DEMO_TOKENS[token], exempt: ['rivet.Health'] })],
    logger: pino({ level: 'warn', base: { app: 'treasury' } }),
  });
  const { port } = await app.listen(0, '127.0.0.1');
  console.log(`Treasury listening on 127.0.0.1:${port} (mutual TLS, bearer tokens)\n`);

  const endpoints = { Treasury: [`127.0.0.1:${port}`] };
  const policy = { retry: false as const };
  const caller = (cert: string | undefined, token: string | undefined) =>
    createClient({
      endpoints,
      logger: false,
      policy,
      tls: cert === undefined ? { ca } : { ca, cert: file(`${cert}.crt`), key: file(`${cert}.key`) },
      interceptors: token === undefined ? [] : [bearerToken(token)],
    });
  const alice = caller('alice', 'demo-token-alice');
  const mallory = caller('mallory', 'demo-token-mallory');
  const stolen = caller('mallory', 'demo-token-alice');
  const anonymous = caller('alice', undefined);
  const noCert = caller(undefined, 'demo-token-alice');
  const treasury = (c: ReturnType<typeof caller>): Remote<TreasuryService> => c.proxy(TreasuryService);

  console.log('Authorized:');
  await attempt('alice (treasurer, her certificate) checks the balance', () => treasury(alice).balance());
  await attempt('alice moves 2500 cents', () => treasury(alice).transfer(2_500));
  await attempt('mallory (clerk) checks the balance', () => treasury(mallory).balance());
  console.log('\nUnauthorized:');
  await attempt('mallory tries to move money', () => treasury(mallory).transfer(100));
  await attempt("mallory with alice's stolen token", () => treasury(stolen).transfer(100));
  await attempt('a caller with no token', () => treasury(anonymous).balance());
  await attempt('a caller with no client certificate', () => treasury(noCert).balance());

  for (const c of [alice, mallory, stolen, anonymous, noCert]) await c.close();
  await app.close();
  console.log('\nDone.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
