// tls/: the only folder that imports node:tls. TlsTransport (TLS and mTLS over TCP), its options,
// and describeTlsError. Layer 2, inside transport/: imports errors/, util/ and transport's seam.
export { TlsTransport, type TlsTransportOptions } from './tls-transport';
export {
  resolveTlsServerOptions,
  resolveTlsClientOptions,
  DEFAULT_TLS_MIN_VERSION,
  type Pem,
  type TlsMinVersion,
  type TlsServerOptions,
  type TlsClientOptions,
  type TlsRefusalListener,
  type ResolvedTlsServerOptions,
  type ResolvedTlsClientOptions,
} from './tls-options';
export { describeTlsError, type TlsErrorDescription, type TlsFailureReason } from './describe-tls-error';
export { certificateIdentity } from './certificate-identity';
