// tcp/: the only folder that imports node:net.
export { TcpTransport } from './tcp-transport';
