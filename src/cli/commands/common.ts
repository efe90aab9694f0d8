import { type Command, Option } from 'commander';
import { parseDurationMs } from '../duration';
import { UsageError } from '../exit-codes';
import type { CallSettings } from '../reflection-client';
import type { TargetFlags } from '../target';

/** Collects a repeatable flag's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds the TARGET and TLS flags. `--addr` defaults to the RIVET_ADDR environment variable. */
export function withTarget(cmd: Command, opts: { instance?: boolean } = {}): Command {
  cmd
    .addOption(new Option('--addr <host:port>', 'a server address (repeatable, or comma-separated)').argParser(collect).env('RIVET_ADDR'))
    .addOption(new Option('--etcd <url>', 'find instances in etcd, as the framework does (repeatable, or comma-separated)').argParser(collect))
    .option('--prefix <prefix>', 'etcd key prefix (default /rivet/services)');
  if (opts.instance === true) cmd.option('--instance <host:port>', 'call this one endpoint, bypassing discovery');
  // An explicit --etcd beats an exported RIVET_ADDR: the variable is a default, not a second target.
  cmd.hook('preAction', (self) => {
    if (self.getOptionValueSource('addr') === 'env' && self.getOptionValue('etcd') !== undefined) self.setOptionValue('addr', undefined);
  });
  return cmd
    .option('--tls', 'connect over TLS')
    .option('--cacert <file>', 'CA certificate(s) to trust, PEM (implies --tls)')
    .option('--cert <file>', 'client certificate for mutual TLS, PEM (implies --tls)')
    .option('--key <file>', 'client private key for mutual TLS, PEM (implies --tls)')
    .option('--servername <name>', 'name to send as SNI and check the certificate against (implies --tls)')
    .option('--insecure', 'do not verify the server certificate (prints a warning; implies --tls)');
}

/** Adds `-H key=value` and `--timeout`. */
export function withCall(cmd: Command): Command {
  return cmd
    .option('-H, --header <key=value>', "call metadata, e.g. -H authorization='Bearer t0k3n' (repeatable)", collect)
    .option('--timeout <duration>', 'deadline of each call: 500ms, 2s, 1m (default 10s)');
}

/** An `-o table|json` option. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'table for people, json for scripts').choices(['table', 'json']).default('table');
}

/** The raw flags commander hands an action. */
export type Flags = TargetFlags & { header?: string[]; timeout?: string; output?: string };

/** `-H` values as metadata (keys lower-cased, as in HTTP/2) and `--timeout` in ms. Throws UsageError. */
export function callSettings(flags: Flags): CallSettings {
  const metadata: Record<string, string> = {};
  for (const h of flags.header ?? []) {
    const m = /^([^=:\s]+)\s*[=:]\s?(.*)$/s.exec(h);
    if (!m) throw new UsageError(`-H must be key=value (or 'key: value'), got ${JSON.stringify(h)}`);
    metadata[m[1].toLowerCase()] = m[2];
  }
  return { metadata, timeoutMs: flags.timeout === undefined ? undefined : parseDurationMs('--timeout', flags.timeout) };
}

/** Splits `Service.method` at its last dot (service names may hold dots). Throws UsageError. */
export function splitMethod(what: string): { service: string; method: string } {
  const dot = what.lastIndexOf('.');
  if (dot <= 0 || dot === what.length - 1) throw new UsageError(`expected <Service>.<method>, got ${JSON.stringify(what)}`);
  return { service: what.slice(0, dot), method: what.slice(dot + 1) };
}
