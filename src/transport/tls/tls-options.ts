import * as tls from 'node:tls';
import { RivetConfigError, RivetErrorCode } from '../../errors';
import { bool, nonEmptyString, oneOf, optionsObject, rejectUnknownKeys } from '../../util';
import type { TlsErrorDescription } from './describe-tls-error';

/** PEM text, as a string or a Buffer (what `fs.readFileSync` returns). */
export type Pem = string | Buffer;

/** The TLS protocol versions Rivet accepts as a floor. */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/** The lowest TLS version negotiated unless `minVersion` says otherwise. */
export const DEFAULT_TLS_MIN_VERSION: TlsMinVersion = 'TLSv1.2';

const MIN_VERSIONS: readonly TlsMinVersion[] = ['TLSv1.2', 'TLSv1.3'];

/** The listening side of a TLS transport (`createApp({ tls })`). */
export interface TlsServerOptions {
  /** The server's private key, PEM. Required. */
  key: Pem;
  /** The server's certificate chain, PEM, leaf first. Required. */
  cert: Pem;
  /** The CA(s) that sign client certificates; required with `requestCert`. */
  ca?: Pem | Pem[];
  /**
   * Mutual TLS: ask every client for a certificate signed by `ca`, and refuse the connection
   * during the handshake when it has none or an untrusted one. Default false.
   */
  requestCert?: boolean;
  /** The lowest protocol version accepted. Default 'TLSv1.2'. */
  minVersion?: TlsMinVersion;
  /**
   * Told about every connection that failed before the TLS session was up: a refused client
   * certificate, a handshake error or timeout, a peer that hung up mid-handshake. `reason` is a
   * short lower-case phrase ending in Node's code in parentheses; `remoteAddress` is
   * `'host:port'`, or `'unknown'` when Node had already destroyed the socket (it does so for a
   * certificate it could not verify); `tls` classifies the failure when it was a TLS one.
   * Must not throw; anything it throws is dropped.
   */
  onRefused?: TlsRefusalListener;
}

/** See {@link TlsServerOptions.onRefused}. */
export type TlsRefusalListener = (reason: string, remoteAddress: string, tls: TlsErrorDescription | undefined) => void;

/** The connecting side of a TLS transport (`createClient({ tls })`). */
export interface TlsClientOptions {
  /** The CA(s) trusted to sign server certificates. Default: Node's bundled root CAs. */
  ca?: Pem | Pem[];
  /** A client certificate chain, PEM, for mTLS. Give it with `key`, or neither. */
  cert?: Pem;
  /** The client certificate's private key, PEM. */
  key?: Pem;
  /**
   * The name sent as SNI and checked against the server certificate. Default: the host being
   * connected to when it is a DNS name; none for an IP address (checked against IP SANs).
   */
  servername?: string;
  /** Verify the server certificate. Default true; false is for local experiments only. */
  rejectUnauthorized?: boolean;
  /** The lowest protocol version accepted. Default 'TLSv1.2'. */
  minVersion?: TlsMinVersion;
}

/** Server options after validation, with defaults filled in and frozen. */
export interface ResolvedTlsServerOptions {
  readonly key: Pem;
  readonly cert: Pem;
  readonly ca: Pem | Pem[] | undefined;
  readonly requestCert: boolean;
  readonly minVersion: TlsMinVersion;
  readonly onRefused: TlsRefusalListener | undefined;
}

/** Client options after validation; the secure context is built once and shared by every connection. */
export interface ResolvedTlsClientOptions {
  readonly secureContext: tls.SecureContext;
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
}

const SERVER_KEYS = ['key', 'cert', 'ca', 'requestCert', 'minVersion', 'onRefused'] as const;
const CLIENT_KEYS = ['ca', 'cert', 'key', 'servername', 'rejectUnauthorized', 'minVersion'] as const;

// Lets TlsTransport accept options a caller already resolved under its own name
// (e.g. 'createApp.tls') without validating and parsing them twice.
const resolvedKinds = new WeakMap<object, 'server' | 'client'>();

/** Which resolve function made `value`, or undefined when it is raw input. */
export function resolvedTlsOptionsKind(value: unknown): 'server' | 'client' | undefined {
  return typeof value === 'object' && value !== null ? resolvedKinds.get(value) : undefined;
}

/**
 * Validates server options, fills in defaults and freezes them. The key, certificate and CA are
 * parsed here, so a file path passed instead of PEM text, or a key that does not match its
 * certificate, fails at construction. Throws RivetConfigError naming `name.<option>`.
 */
export function resolveTlsServerOptions(input: unknown, name = 'TlsServerOptions'): ResolvedTlsServerOptions {
  if (input === undefined) throw invalid(`${name} needs key and cert (PEM) to accept TLS connections.`);
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, SERVER_KEYS);
  const key = requiredPem(`${name}.key`, o.key);
  const cert = requiredPem(`${name}.cert`, o.cert);
  const ca = pemList(`${name}.ca`, o.ca);
  const requestCert = o.requestCert === undefined ? false : bool(`${name}.requestCert`, o.requestCert);
  const minVersion = oneOf(`${name}.minVersion`, o.minVersion ?? DEFAULT_TLS_MIN_VERSION, MIN_VERSIONS);
  if (requestCert && ca === undefined) {
    throw invalid(`${name}.requestCert needs ${name}.ca: the CA that signs your client certificates.`);
  }
  if (o.onRefused !== undefined && typeof o.onRefused !== 'function') {
    throw invalid(`${name}.onRefused must be a function (reason, remoteAddress) => void, or left out.`);
  }
  loadContext(name, { key, cert, ca, minVersion });
  const out: ResolvedTlsServerOptions = Object.freeze({
    key,
    cert,
    ca,
    requestCert,
    minVersion,
    onRefused: o.onRefused as ResolvedTlsServerOptions['onRefused'],
  });
  resolvedKinds.set(out, 'server');
  return out;
}

/**
 * Validates client options, fills in defaults, builds the secure context and freezes them.
 * `undefined` means defaults: Node's root CAs, no client certificate. Throws RivetConfigError.
 */
export function resolveTlsClientOptions(input: unknown, name = 'TlsClientOptions'): ResolvedTlsClientOptions {
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, CLIENT_KEYS);
  const key = optionalPem(`${name}.key`, o.key);
  const cert = optionalPem(`${name}.cert`, o.cert);
  if ((key === undefined) !== (cert === undefined)) {
    throw invalid(`${name} needs both cert and key for a client certificate, or neither.`);
  }
  const ca = pemList(`${name}.ca`, o.ca);
  const minVersion = oneOf(`${name}.minVersion`, o.minVersion ?? DEFAULT_TLS_MIN_VERSION, MIN_VERSIONS);
  let servername: string | undefined;
  if (o.servername !== undefined) {
    servername = nonEmptyString(`${name}.servername`, o.servername);
    if (isIpLiteral(servername)) {
      throw invalid(`${name}.servername must be a DNS name (SNI cannot carry an IP address), got "${servername}". Leave it out when connecting by IP.`);
    }
  }
  const rejectUnauthorized = o.rejectUnauthorized === undefined ? true : bool(`${name}.rejectUnauthorized`, o.rejectUnauthorized);
  const out: ResolvedTlsClientOptions = Object.freeze({
    secureContext: loadContext(name, { key, cert, ca, minVersion }),
    servername,
    rejectUnauthorized,
  });
  resolvedKinds.set(out, 'client');
  return out;
}

/**
 * True for an IPv4 or IPv6 literal. A regex rather than net.isIP: node:net belongs to tcp/.
 * Anything with a colon is IPv6 (a DNS name never has one); IPv4 is four dotted numbers.
 */
export function isIpLiteral(host: string): boolean {
  return host.includes(':') || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host);
}

function optionalPem(name: string, value: unknown): Pem | undefined {
  return value === undefined ? undefined : requiredPem(name, value);
}

function requiredPem(name: string, value: unknown): Pem {
  if (value === undefined) throw invalid(`${name} is required: PEM text as a string or Buffer.`);
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw invalid(`${name} must be PEM text as a string or Buffer, got ${typeof value}.`);
  }
  // The usual mistake is a file path; say so rather than pass OpenSSL's "unsupported" on.
  if (!value.includes('-----BEGIN ')) {
    throw invalid(`${name} must be PEM text (-----BEGIN ...), not a file path; read the file with fs.readFileSync(path) and pass its contents.`);
  }
  return value;
}

function pemList(name: string, value: unknown): Pem | Pem[] | undefined {
  if (!Array.isArray(value)) return optionalPem(name, value);
  if (value.length === 0) throw invalid(`${name} must not be an empty array; leave it out to use Node's root CAs.`);
  return value.map((v, i) => requiredPem(`${name}[${i}]`, v));
}

function loadContext(name: string, parts: tls.SecureContextOptions): tls.SecureContext {
  try {
    return tls.createSecureContext(parts);
  } catch (err) {
    const e = err as { reason?: unknown; message?: unknown };
    const why = typeof e.reason === 'string' ? e.reason : String(e.message);
    throw invalid(`${name}: Node could not load the key, cert or ca (${why}). Check that each is PEM and that key is the private key of cert.`);
  }
}

function invalid(message: string): RivetConfigError {
  return new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, message);
}
