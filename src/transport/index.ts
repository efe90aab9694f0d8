// transport/: framed connections over byte streams. The Transport/Connection/Listener seam, write
// batching (Outbox), and TCP. Layer 2: imports protocol/, errors/, util/.
export type { CertificateIdentity, Transport, Connection, ConnectionEvents, Listener, ConnectOptions } from './transport';
export { Outbox, OUTBOX_FLUSH_BYTES } from './outbox';
export { StreamConnection } from './stream-connection';
export { TcpTransport } from './tcp';
