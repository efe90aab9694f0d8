import type { SessionOptions } from './connect';

/**
 * What every channel of a client shares: how to connect and handshake (SessionOptions), and what
 * the channel itself does with a connection once it has one. Its own file so the pool, which
 * builds one set per transport, needs nothing else of the channel's.
 */
export interface ChannelOptions extends SessionOptions {
  /** Pings on quiet connections, to find dead servers; false turns them off. */
  keepalive: { intervalMs: number; timeoutMs: number } | false;
  /**
   * @internal for tests: the id of the channel's first request (default 1), so the u32
   * wrap-around of request ids can be reached without four billion calls.
   */
  firstRequestId?: number;
}
