import { formatAddress } from '../../util';
import { StreamConnection } from '../stream-connection';
import type { Connection } from '../transport';
import { type MemoryDirection, memoryPair, type MemoryEnd, type MemoryPipe } from './memory-pipe';

/**
 * One in-memory connection, as the test that owns the network sees it: the two addresses and the
 * fault hooks. Made by {@link MemoryNetwork}; list them with {@link MemoryNetwork.links}.
 */
export class MemoryLink {
  private dropped = false;

  /** @internal made by MemoryNetwork.connect. */
  constructor(
    /** `'host:port'` the client dialled. */
    readonly serverAddress: string,
    /** The client end's address, as the server sees it. */
    readonly clientAddress: string,
    private readonly clientEnd: MemoryEnd,
    private readonly serverEnd: MemoryEnd,
    private readonly toServer: MemoryPipe,
    private readonly toClient: MemoryPipe,
  ) {}

  /** True once both ends have closed. */
  get closed(): boolean {
    return this.clientEnd.closed && this.serverEnd.closed;
  }

  /**
   * Stops carrying bytes (both ways by default), as a network partition or a frozen peer does:
   * writes are accepted and wait in the link, and neither end sees its peer close. A peer's
   * keepalive then finds the silence.
   */
  pause(direction: MemoryDirection | 'both' = 'both'): void {
    if (direction !== 'toClient') this.toServer.hold();
    if (direction !== 'toServer') this.toClient.hold();
  }

  /** Carries bytes again, the held ones first. */
  resume(direction: MemoryDirection | 'both' = 'both'): void {
    if (direction !== 'toClient') this.toServer.release();
    if (direction !== 'toServer') this.toClient.release();
  }

  /**
   * Resets the connection: bytes in the link are lost and both ends close at once with
   * `ECONNRESET`, as when the peer's host dies or a middlebox drops the flow.
   */
  drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.toServer.discard();
    this.toClient.discard();
    this.toServer.release();
    this.toClient.release();
    for (const end of [this.clientEnd, this.serverEnd]) {
      end.destroy(Object.assign(new Error('connection reset (memory link dropped)'), { code: 'ECONNRESET' }));
    }
  }
}

interface Bound {
  host: string;
  port: number;
  onConnection: (conn: Connection) => void;
}

/**
 * An in-process network: listeners by `'host:port'`, and the links between them and their
 * clients. Ports are numbers the network hands out (port 0 asks for a fresh one); nothing binds
 * a socket. Share one network between the transports that must reach each other; separate
 * networks never see each other.
 */
export class MemoryNetwork {
  private readonly bound = new Map<string, Bound>();
  private readonly open = new Set<MemoryLink>();
  private nextPort = 1;
  private nextClientPort = 1;

  /** The open links, all of them or those to one server address (`'host:port'`). */
  links(serverAddress?: string): MemoryLink[] {
    const out: MemoryLink[] = [];
    for (const link of this.open) {
      if (link.closed) this.open.delete(link);
      else if (serverAddress === undefined || link.serverAddress === serverAddress) out.push(link);
    }
    return out;
  }

  /** @internal MemoryTransport.listen. Throws an EADDRINUSE Error when the address is taken. */
  bind(host: string, port: number, onConnection: (conn: Connection) => void): Bound {
    let p = port;
    if (p === 0) {
      while (this.bound.has(formatAddress(host, this.nextPort))) this.nextPort++;
      p = this.nextPort++;
    }
    const address = formatAddress(host, p);
    if (this.bound.has(address)) throw Object.assign(new Error(`listen EADDRINUSE: address already in use ${address}`), { code: 'EADDRINUSE' });
    const b = { host, port: p, onConnection };
    this.bound.set(address, b);
    return b;
  }

  /** @internal the listener closed: new connects are refused, open links live on. */
  unbind(b: Bound): void {
    const address = formatAddress(b.host, b.port);
    if (this.bound.get(address) === b) this.bound.delete(address);
  }

  /**
   * @internal MemoryTransport.connect: a connected pair, the server's end handed to its listener.
   * Throws an ECONNREFUSED Error when nothing listens there.
   */
  connect(host: string, port: number): Connection {
    const address = formatAddress(host, port);
    const b = this.bound.get(address);
    if (b === undefined) throw Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    const [clientEnd, serverEnd, toServer, toClient] = memoryPair();
    const clientAddress = formatAddress('memory-client', this.nextClientPort++);
    const link = new MemoryLink(address, clientAddress, clientEnd, serverEnd, toServer, toClient);
    this.open.add(link);
    b.onConnection(new StreamConnection(serverEnd, clientAddress));
    return new StreamConnection(clientEnd, address);
  }
}
