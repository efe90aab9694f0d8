import { createHash } from 'node:crypto';
import { resolveTlsClientOptions, type TlsClientOptions, TlsTransport } from '../../transport';
import type { ChannelTransport } from './channel-pool';

/**
 * The TLS transports of targets with their own `tls` policy, one per distinct setting: proxies
 * whose settings are equal share connections, and different settings to one address get
 * different connections. Each is resolved (its secure context built) once, when the first proxy
 * with that setting is made.
 */
export class TargetTransports {
  private readonly byKey = new Map<string, ChannelTransport>();
  private readonly byObject = new WeakMap<object, ChannelTransport>();
  private nextId = 1;

  /** The transport for `tls`. Throws RivetConfigError for bad settings, naming `name`. */
  get(tls: TlsClientOptions, name: string): ChannelTransport {
    const seen = this.byObject.get(tls);
    if (seen !== undefined) return seen;
    const key = settingsKey(tls);
    let t = this.byKey.get(key);
    if (t === undefined) {
      t = { id: this.nextId++, transport: new TlsTransport({ client: resolveTlsClientOptions(tls, name) }) };
      this.byKey.set(key, t);
    }
    this.byObject.set(tls, t);
    return t;
  }
}

// A digest of the settings, PEM included, so equal settings given as two objects share a key
// without the map holding every certificate's text.
function settingsKey(tls: TlsClientOptions): string {
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('utf8') : Array.isArray(v) ? v.map(text) : v);
  const json = JSON.stringify([text(tls.ca), text(tls.cert), text(tls.key), tls.servername, tls.rejectUnauthorized, tls.minVersion]);
  return createHash('sha256').update(json).digest('hex');
}
