import { RivetConfigError, RivetErrorCode } from '../errors';

/** The version of the manifest format this Rivet writes and reads. */
export const MANIFEST_VERSION = 1;

/** How a method streams; absent for a unary method. */
export type StreamKind = 'server' | 'client' | 'bidi';

/** Every stream kind, for checks. */
export const STREAM_KINDS: readonly StreamKind[] = ['server', 'client', 'bidi'];

/** One positional parameter of a method, as its source declares it. */
export interface ManifestParam {
  name: string;
  /** The declared type as TypeScript prints it (`number`, `Order`, `string | undefined`). */
  type: string;
  /** True for `x?: T`, a default value or a rest parameter: callers may leave it out. */
  optional: boolean;
}

/** One `@Method` of a service. */
export interface ManifestMethod {
  name: string;
  params: ManifestParam[];
  /** What a caller gets, with a `Promise` unwrapped. */
  returns: string;
  idempotent: boolean;
  /** The tightest of `@Method({ timeoutMs })` and `@Timeout` on the method or the class. */
  timeoutMs?: number;
  stream?: StreamKind;
  /** True when the method carries a JSDoc `@deprecated` tag. */
  deprecated?: boolean;
}

/** One `@Service` class. */
export interface ManifestService {
  name: string;
  version?: string;
  /** True when the class carries a JSDoc `@deprecated` tag. */
  deprecated?: boolean;
  methods: ManifestMethod[];
}

/**
 * The contract of a set of services, written by `rivet manifest` from TypeScript sources and
 * compared by `rivet diff`. Services are sorted by name, methods by name; parameters keep their
 * (positional) order.
 */
export interface ContractManifest {
  manifestVersion: number;
  services: ManifestService[];
}

function bad(where: string, what: string): RivetConfigError {
  return new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${where} ${what}; write it with \`rivet manifest\` (see docs/cli.md).`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(where: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw bad(where, 'must be a non-empty string');
  return v;
}

function checkMethod(where: string, m: unknown): ManifestMethod {
  if (!isObject(m)) throw bad(where, 'must be an object');
  const out: ManifestMethod = {
    name: str(`${where}.name`, m.name),
    params: [],
    returns: typeof m.returns === 'string' ? m.returns : 'unknown',
    idempotent: m.idempotent === true,
  };
  if (!Array.isArray(m.params)) throw bad(`${where}.params`, 'must be an array');
  out.params = m.params.map((p, i) => {
    if (!isObject(p)) throw bad(`${where}.params[${i}]`, 'must be an object');
    return { name: str(`${where}.params[${i}].name`, p.name), type: typeof p.type === 'string' ? p.type : 'unknown', optional: p.optional === true };
  });
  if (m.idempotent !== undefined && typeof m.idempotent !== 'boolean') throw bad(`${where}.idempotent`, 'must be true or false');
  if (m.timeoutMs !== undefined) {
    if (typeof m.timeoutMs !== 'number' || !(m.timeoutMs > 0)) throw bad(`${where}.timeoutMs`, 'must be a number of milliseconds > 0');
    out.timeoutMs = m.timeoutMs;
  }
  if (m.stream !== undefined) {
    if (!STREAM_KINDS.includes(m.stream as StreamKind)) throw bad(`${where}.stream`, "must be 'server', 'client' or 'bidi'");
    out.stream = m.stream as StreamKind;
  }
  if (m.deprecated === true) out.deprecated = true;
  return out;
}

/**
 * Checks that `input` is a contract manifest (what `rivet manifest` writes) and returns a copy.
 * Throws RivetConfigError naming the first bad field. `where` names the input in messages.
 */
export function checkManifest(input: unknown, where = 'manifest'): ContractManifest {
  if (!isObject(input)) throw bad(where, 'must be a contract manifest object');
  if (input.manifestVersion !== MANIFEST_VERSION) {
    throw bad(`${where}.manifestVersion`, `must be ${MANIFEST_VERSION}, got ${JSON.stringify(input.manifestVersion)}`);
  }
  if (!Array.isArray(input.services)) throw bad(`${where}.services`, 'must be an array');
  const seen = new Set<string>();
  const services = input.services.map((s, i): ManifestService => {
    const at = `${where}.services[${i}]`;
    if (!isObject(s)) throw bad(at, 'must be an object');
    const name = str(`${at}.name`, s.name);
    if (seen.has(name)) throw bad(at, `repeats the service name "${name}"`);
    seen.add(name);
    if (!Array.isArray(s.methods)) throw bad(`${at}.methods`, 'must be an array');
    const out: ManifestService = { name, methods: s.methods.map((m, j) => checkMethod(`${at}.methods[${j}]`, m)) };
    if (s.version !== undefined) out.version = str(`${at}.version`, s.version);
    if (s.deprecated === true) out.deprecated = true;
    return out;
  });
  return { manifestVersion: MANIFEST_VERSION, services };
}
