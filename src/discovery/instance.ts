import { formatAddress } from '../util';

/** One running copy of a service, as a registry knows it. */
export interface Instance {
  /** Unique per registration (one app process registers one id per service). */
  id: string;
  /** The `@Service` name. */
  service: string;
  /** The `@Service` version, when set. */
  version?: string;
  host: string;
  port: number;
  /** Relative share of traffic for weighted balancers; 1 by default. */
  weight: number;
  zone?: string;
  metadata: Record<string, string>;
}

/** `'host:port'` of an instance. */
export function instanceAddress(i: Pick<Instance, 'host' | 'port'>): string {
  return formatAddress(i.host, i.port);
}
