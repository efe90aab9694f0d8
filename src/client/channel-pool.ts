import { type Instance, instanceAddress } from '../discovery';
import { Channel, type ChannelOptions } from './channel';
import { Endpoint } from './endpoint';

/**
 * The client's channels, one per address, shared by every service served there, and the
 * current endpoints of each target service.
 */
export class ChannelPool {
  private readonly channels = new Map<string, Channel>();
  private readonly endpoints = new Map<string, Endpoint[]>();

  constructor(private readonly opts: ChannelOptions) {}

  /** The endpoints of a service as last resolved, or undefined before the first resolve. */
  endpointsOf(service: string): Endpoint[] | undefined {
    return this.endpoints.get(service);
  }

  /** Replaces a service's endpoints with a newly resolved set, reusing channels by address. */
  update(service: string, instances: readonly Instance[]): void {
    this.endpoints.set(
      service,
      instances.map((instance) => {
        const address = instanceAddress(instance);
        let channel = this.channels.get(address);
        if (channel === undefined) {
          channel = new Channel(instance.host, instance.port, address, this.opts);
          this.channels.set(address, channel);
        }
        return new Endpoint(instance, address, channel);
      }),
    );
  }

  /** Every channel, for stats. */
  allChannels(): Channel[] {
    return [...this.channels.values()];
  }

  /** Closes every channel; pending calls fail with UNAVAILABLE (CLIENT_CLOSED). */
  async close(): Promise<void> {
    await Promise.all([...this.channels.values()].map((c) => c.close()));
  }
}
