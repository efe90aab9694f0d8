import { type Instance, instanceAddress } from '../../discovery';
import type { Transport } from '../../transport';
import { Channel } from './channel';
import type { ChannelOptions } from './channel-options';

/** A transport channels can be opened with, and the number that keys its connections. */
export interface ChannelTransport {
  /** 0 for the client's own transport; another number per distinct per-target TLS setting. */
  readonly id: number;
  readonly transport: Transport;
}

/**
 * The client's channels, one per (address, transport), shared by every service and proxy that
 * calls there with the same transport: two proxies with different TLS settings for one address
 * hold two connections.
 */
export class ChannelPool {
  /** address → transport id → channel. */
  private readonly channels = new Map<string, Map<number, Channel>>();
  private readonly optionsById = new Map<number, ChannelOptions>();
  /** Retired channels still answering calls, so close() can close them too. */
  private readonly retiring = new Set<Channel>();

  constructor(private readonly opts: ChannelOptions) {}

  /** The channel to an instance's address over `via` (the client's own transport by default), made on first use. */
  channelFor(instance: Instance, via?: ChannelTransport): Channel {
    const address = instanceAddress(instance);
    const id = via === undefined ? 0 : via.id;
    let byTransport = this.channels.get(address);
    if (byTransport === undefined) {
      byTransport = new Map();
      this.channels.set(address, byTransport);
    }
    let channel = byTransport.get(id);
    if (channel === undefined) {
      channel = new Channel(instance.host, instance.port, address, this.optionsFor(via));
      byTransport.set(id, channel);
    }
    return channel;
  }

  /**
   * The address left every service's instance set: its channels close once their calls in flight
   * are answered (a server deregisters before it drains), and are forgotten now.
   */
  retire(address: string): void {
    const byTransport = this.channels.get(address);
    if (byTransport === undefined) return;
    this.channels.delete(address);
    for (const c of this.retiring) if (c.isClosed) this.retiring.delete(c);
    for (const channel of byTransport.values()) {
      channel.retire();
      if (!channel.isClosed) this.retiring.add(channel);
    }
  }

  /** How many addresses have channels; for tests of churn. */
  get size(): number {
    return this.channels.size;
  }

  /** Closes every channel; pending calls fail with UNAVAILABLE (CLIENT_CLOSED). */
  async close(): Promise<void> {
    const all: Promise<void>[] = [];
    for (const byTransport of this.channels.values()) for (const c of byTransport.values()) all.push(c.close());
    for (const c of this.retiring) all.push(c.close());
    this.retiring.clear();
    await Promise.all(all);
  }

  private optionsFor(via: ChannelTransport | undefined): ChannelOptions {
    if (via === undefined || via.id === 0) return this.opts;
    let o = this.optionsById.get(via.id);
    if (o === undefined) {
      o = { ...this.opts, transport: via.transport };
      this.optionsById.set(via.id, o);
    }
    return o;
  }
}
