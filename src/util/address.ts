import { RivetConfigError, RivetErrorCode } from '../errors';

/** A parsed `host:port` endpoint. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `'host:port'` (IPv6 as `'[::1]:port'`). Throws RivetConfigError with the offending
 * string when it is not one.
 */
export function parseAddress(address: string, name = 'endpoint'): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port > 0 && port < 65536)) {
    throw new RivetConfigError(
      RivetErrorCode.RIVET_ERR_ADDRESS,
      `${name} must be 'host:port' (e.g. '127.0.0.1:4000'), got ${JSON.stringify(address)}.`,
    );
  }
  return { host: m[1] ?? m[2], port };
}

/** Formats host and port as `'host:port'`, bracketing IPv6 hosts. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
