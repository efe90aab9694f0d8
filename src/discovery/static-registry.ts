import { RivetConfigError, RivetErrorCode } from '../errors';
import { parseAddress } from '../util';
import type { Instance } from './instance';
import type { Registry } from './registry';

/**
 * A fixed map of service name to `'host:port'` endpoints, for clients that know where servers
 * are. It never changes, so `register` and `deregister` are accepted and ignored.
 * Throws RivetConfigError at construction for an address that is not `host:port`.
 */
export class StaticRegistry implements Registry {
  private readonly services = new Map<string, Instance[]>();

  constructor(endpoints: Record<string, string[]>) {
    if (typeof endpoints !== 'object' || endpoints === null) {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, "endpoints must be an object like { Arith: ['127.0.0.1:4000'] }.");
    }
    for (const [service, list] of Object.entries(endpoints)) {
      if (!Array.isArray(list)) {
        throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `endpoints.${service} must be an array of 'host:port' strings.`);
      }
      this.services.set(
        service,
        list.map((address, i) => {
          const { host, port } = parseAddress(address, `endpoints.${service}[${i}]`);
          return { id: `static:${service}:${address}`, service, host, port, weight: 1, metadata: {} };
        }),
      );
    }
  }

  async register(): Promise<void> {}

  async deregister(): Promise<void> {}

  async resolve(service: string): Promise<Instance[]> {
    return this.services.get(service) ?? [];
  }

  watch(): () => void {
    return () => {};
  }

  async close(): Promise<void> {}
}
