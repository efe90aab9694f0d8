import { type Instance, instanceAddress } from '../discovery';
import { Channel, type ChannelOptions } from './channel';

/** The client's channels, one per address, shared by every service and proxy that calls there. */
export class ChannelPool {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly opts: ChannelOptions) {}

  /** The channel to an instance's address, made on first use. */
  channelFor(instance: Instance): Channel {
    const address = instanceAddress(instance);
    let channel = this.channels.get(address);
    if (channel === undefined) {
      channel = new Channel(instance.host, instance.port, address, this.opts);
      this.channels.set(address, channel);
    }
    return channel;
  }

  /** Closes every channel; pending calls fail with UNAVAILABLE (CLIENT_CLOSED). */
  async close(): Promise<void> {
    await Promise.all([...this.channels.values()].map((c) => c.close()));
  }
}
