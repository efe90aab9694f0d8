// transport/: framed connections over byte streams. The Transport/Connection/Listener seam, write
// batching (Outbox), TCP, TLS, and an in-memory transport for tests. Layer 2: imports protocol/,
// errors/, util/.
export type { CertificateIdentity, Transport, Connection, ConnectionEvents, Listener, ConnectOptions } from './transport';
export { Outbox, OUTBOX_COALESCE_BYTES, OUTBOX_FLUSH_BYTES, OUTBOX_FLUSH_FRAMES } from './outbox';
export { KEEPALIVE_TIMEOUT_REASON, type LivenessOptions } from './liveness';
export { StreamConnection } from './stream-connection';
export { TcpTransport } from './tcp';
export { TlsTransport, certificateIdentity, describeTlsError, resolveTlsServerOptions, resolveTlsClientOptions, DEFAULT_TLS_MIN_VERSION, type TlsTransportOptions, type TlsServerOptions, type TlsClientOptions, type TlsRefusalListener, type TlsErrorDescription, type TlsFailureReason, type TlsMinVersion, type Pem, type ResolvedTlsServerOptions, type ResolvedTlsClientOptions } from './tls';
export { MemoryTransport, MemoryNetwork, MemoryLink, type MemoryDirection } from './memory';
