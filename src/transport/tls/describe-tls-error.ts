/**
 * Why a TLS session could not be set up, as a closed set a client can put in
 * `RpcError.details.tls.reason` and tests and dashboards can match on:
 * - `expired` / `not-yet-valid`: the peer's certificate is outside its validity dates.
 * - `unknown-ca`: the peer's certificate does not chain to a trusted CA (self-signed included).
 * - `hostname-mismatch`: the server certificate does not name the host (or `servername`).
 * - `revoked`, `invalid-certificate`: the certificate is revoked, or malformed, or not for this use.
 * - `certificate-required`: the server wants a client certificate and none was sent.
 * - `certificate-rejected`: the peer refused our certificate (it sent an alert saying so).
 * - `protocol-version`: no TLS version both sides accept.
 * - `not-tls`: the peer does not speak TLS (a plain TCP port).
 * - `handshake`: anything else that broke the handshake, including a peer that hung up.
 */
export type TlsFailureReason =
  | 'expired'
  | 'not-yet-valid'
  | 'unknown-ca'
  | 'hostname-mismatch'
  | 'revoked'
  | 'invalid-certificate'
  | 'certificate-required'
  | 'certificate-rejected'
  | 'protocol-version'
  | 'not-tls'
  | 'handshake';

/** What describeTlsError found. */
export interface TlsErrorDescription {
  /** Node's code (OpenSSL's verify code, or an ERR_SSL_* / ERR_TLS_* code), when there is one. */
  tlsCode?: string;
  reason: TlsFailureReason;
}

// Set by TlsTransport.connect on every error raised after TCP connected and before the TLS session
// was up, so an ECONNRESET there reads as a handshake failure and not as a network one.
// Symbol.for, so the mark survives two installed copies of rivet-rpc.
export const TLS_HANDSHAKE_ERROR = Symbol.for('rivet-rpc.tlsHandshakeError');

const REASON_BY_CODE: ReadonlyMap<string, TlsFailureReason> = new Map<string, TlsFailureReason>([
  // OpenSSL verify results, as Node names them (the X509_V_ERR_ suffix).
  ['CERT_HAS_EXPIRED', 'expired'],
  ['CERT_NOT_YET_VALID', 'not-yet-valid'],
  ['UNABLE_TO_GET_ISSUER_CERT', 'unknown-ca'],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unknown-ca'],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unknown-ca'],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', 'unknown-ca'],
  ['SELF_SIGNED_CERT_IN_CHAIN', 'unknown-ca'],
  ['CERT_UNTRUSTED', 'unknown-ca'],
  ['CERT_REJECTED', 'unknown-ca'],
  ['CERT_REVOKED', 'revoked'],
  ['CERT_SIGNATURE_FAILURE', 'invalid-certificate'],
  ['CERT_CHAIN_TOO_LONG', 'invalid-certificate'],
  ['INVALID_CA', 'invalid-certificate'],
  ['INVALID_PURPOSE', 'invalid-certificate'],
  ['PATH_LENGTH_EXCEEDED', 'invalid-certificate'],
  ['ERROR_IN_CERT_NOT_BEFORE_FIELD', 'invalid-certificate'],
  ['ERROR_IN_CERT_NOT_AFTER_FIELD', 'invalid-certificate'],
  ['UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'invalid-certificate'],
  ['UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'invalid-certificate'],
  ['HOSTNAME_MISMATCH', 'hostname-mismatch'],
  ['IP_ADDRESS_MISMATCH', 'hostname-mismatch'],
  // Node's own check of the server's name against its certificate.
  ['ERR_TLS_CERT_ALTNAME_INVALID', 'hostname-mismatch'],
  // Alerts the peer sent (ERR_SSL_<version>_ALERT_<alert>), and what our side of OpenSSL saw.
  ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'certificate-required'],
  ['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'certificate-required'],
  ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'certificate-rejected'],
  ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'certificate-rejected'],
  ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'certificate-rejected'],
  ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', 'certificate-rejected'],
  ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', 'certificate-rejected'],
  ['ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE', 'certificate-rejected'],
  ['ERR_SSL_TLSV1_ALERT_ACCESS_DENIED', 'certificate-rejected'],
  ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'protocol-version'],
  ['ERR_SSL_UNSUPPORTED_PROTOCOL', 'protocol-version'],
  ['ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'protocol-version'],
  ['ERR_SSL_WRONG_VERSION_NUMBER', 'not-tls'],
  ['ERR_SSL_HTTP_REQUEST', 'not-tls'],
  ['ERR_SSL_PACKET_LENGTH_TOO_LONG', 'not-tls'],
]);

// How far down `cause` to look: an RpcError wrapping the transport's error is one level.
const MAX_CAUSE_DEPTH = 4;

/**
 * Classifies a TLS failure: an error TlsTransport.connect rejected with, a socket error, an
 * RpcError whose `cause` is one of those, or a connection's close reason string
 * (`'CODE: message'`, as StreamConnection reports it). Returns undefined when it is not a TLS
 * failure (ECONNREFUSED, a timeout before TCP connected, an abort), so a client can write
 * `details: tls ? { reason: 'TLS', tls } : { reason: 'CONNECT_FAILED' }`. Never throws.
 */
export function describeTlsError(err: unknown): TlsErrorDescription | undefined {
  let current = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    const found = describeOne(current);
    if (found !== undefined) return found;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}

function describeOne(err: unknown): TlsErrorDescription | undefined {
  let code: string | undefined;
  let duringHandshake = false;
  if (typeof err === 'string') {
    code = /^([A-Z][A-Z0-9_]+):/.exec(err)?.[1];
  } else if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; [TLS_HANDSHAKE_ERROR]?: unknown };
    if (typeof e.code === 'string') code = e.code;
    duringHandshake = e[TLS_HANDSHAKE_ERROR] === true;
  }
  if (code === undefined) return duringHandshake ? { reason: 'handshake' } : undefined;
  const reason = REASON_BY_CODE.get(code);
  if (reason !== undefined) return { tlsCode: code, reason };
  if (duringHandshake || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return { tlsCode: code, reason: 'handshake' };
  }
  return undefined;
}
