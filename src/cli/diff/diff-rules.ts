import type { ContractManifest, ManifestMethod, ManifestParam, ManifestService } from '../../manifest';

/** How bad a change is for callers already deployed. */
export type Severity = 'ERR' | 'WARN' | 'INFO';

/**
 * Every rule `rivet diff` applies, with its severity. ERR: callers built against the old contract
 * break. WARN: they may break (callers that send named JSON, or that should move off a method).
 * INFO: nothing breaks.
 */
export const DIFF_RULES = {
  SERVICE_REMOVED: 'ERR',
  METHOD_REMOVED: 'ERR',
  PARAM_ADDED_REQUIRED: 'ERR',
  PARAM_REMOVED: 'ERR',
  PARAM_REORDERED: 'ERR',
  PARAM_MADE_REQUIRED: 'ERR',
  PARAM_TYPE_CHANGED: 'ERR',
  RETURN_TYPE_CHANGED: 'ERR',
  IDEMPOTENT_REMOVED: 'ERR',
  STREAM_KIND_CHANGED: 'ERR',
  PARAM_RENAMED: 'WARN',
  METHOD_DEPRECATED: 'WARN',
  SERVICE_DEPRECATED: 'WARN',
  SERVICE_ADDED: 'INFO',
  METHOD_ADDED: 'INFO',
  PARAM_ADDED_OPTIONAL: 'INFO',
  PARAM_MADE_OPTIONAL: 'INFO',
  PARAM_TYPE_WIDENED: 'INFO',
  RETURN_TYPE_NARROWED: 'INFO',
  IDEMPOTENT_ADDED: 'INFO',
  TIMEOUT_CHANGED: 'INFO',
  VERSION_CHANGED: 'INFO',
  METHOD_UNDEPRECATED: 'INFO',
} as const satisfies Record<string, Severity>;

/** The id of one rule in {@link DIFF_RULES}. */
export type DiffRule = keyof typeof DIFF_RULES;

/** One change `rivet diff` found. */
export interface Finding {
  rule: DiffRule;
  severity: Severity;
  service: string;
  /** Absent for a change to a whole service. */
  method?: string;
  message: string;
}

const SEVERITY_ORDER: Record<Severity, number> = { ERR: 0, WARN: 1, INFO: 2 };

/**
 * The members of a type's top-level union (`string | Order[] | undefined` → three), ignoring
 * `|` nested in brackets, braces, parentheses or angle brackets. Type text is what the manifest
 * holds; this is as far as a textual comparison can see.
 */
export function unionMembers(type: string): Set<string> {
  const out = new Set<string>();
  let depth = 0;
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if (c === ')' || c === ']' || c === '}' || c === '>') depth--;
    else if (c === '|' && depth === 0) {
      const part = type.slice(start, i).trim();
      if (part !== '') out.add(part);
      start = i + 1;
    }
  }
  const last = type.slice(start).trim();
  if (last !== '') out.add(last);
  return out;
}

const TOP = new Set(['any', 'unknown']);

/** True when every value of `from` is a value of `to`, as far as the union members tell. */
function accepts(to: string, from: string): boolean {
  const a = unionMembers(to);
  const b = unionMembers(from);
  if ([...a].some((m) => TOP.has(m))) return true;
  return [...b].every((m) => a.has(m));
}

function sameType(a: string, b: string): boolean {
  const x = unionMembers(a);
  const y = unionMembers(b);
  return x.size === y.size && [...x].every((m) => y.has(m));
}

class Findings {
  readonly list: Finding[] = [];
  add(rule: DiffRule, service: string, method: string | undefined, message: string): void {
    const f: Finding = { rule, severity: DIFF_RULES[rule], service, message };
    if (method !== undefined) f.method = method;
    this.list.push(f);
  }
}

function isSubsequence(short: readonly string[], long: readonly string[]): boolean {
  let i = 0;
  for (const x of long) if (i < short.length && short[i] === x) i++;
  return i === short.length;
}

function compareParamTypes(f: Findings, s: string, m: string, o: ManifestParam, n: ManifestParam, position: number): void {
  const where = `parameter ${position + 1} ("${n.name}")`;
  if (!sameType(o.type, n.type)) {
    // A parameter may accept more than it did; never less.
    if (accepts(n.type, o.type)) f.add('PARAM_TYPE_WIDENED', s, m, `${where} now accepts ${n.type} (was ${o.type})`);
    else f.add('PARAM_TYPE_CHANGED', s, m, `${where} changed type from ${o.type} to ${n.type}`);
  }
  if (o.optional && !n.optional) f.add('PARAM_MADE_REQUIRED', s, m, `${where} is now required`);
  if (!o.optional && n.optional) f.add('PARAM_MADE_OPTIONAL', s, m, `${where} is now optional`);
}

/** Parameters are positional on the wire: a call sends values in order, and their names never travel. */
function compareParams(f: Findings, s: string, m: string, old: readonly ManifestParam[], now: readonly ManifestParam[]): void {
  const on = old.map((p) => p.name);
  const nn = now.map((p) => p.name);
  const sameNames = on.length === nn.length && on.every((x, i) => x === nn[i]);
  if (!sameNames && nn.length < on.length && isSubsequence(nn, on)) {
    // Some removed, the rest kept in order: later arguments shift into the removed slots.
    for (const p of old) if (!nn.includes(p.name)) f.add('PARAM_REMOVED', s, m, `parameter "${p.name}" was removed`);
    for (const p of now) compareParamTypes(f, s, m, old[on.indexOf(p.name)], p, nn.indexOf(p.name));
    return;
  }
  if (!sameNames && nn.length > on.length && isSubsequence(on, nn) && !on.every((x, i) => x === nn[i])) {
    // Inserted before an existing parameter: old callers' arguments land in the wrong slots.
    const inserted = now.filter((p) => !on.includes(p.name)).map((p) => `"${p.name}"`);
    f.add('PARAM_REORDERED', s, m, `parameter ${inserted.join(', ')} inserted before existing ones: old callers' arguments shift position`);
    return;
  }
  if (!sameNames && on.length === nn.length && [...on].sort().join('\0') === [...nn].sort().join('\0')) {
    f.add('PARAM_REORDERED', s, m, `parameters reordered from (${on.join(', ')}) to (${nn.join(', ')})`);
    return;
  }
  const common = Math.min(old.length, now.length);
  for (let i = 0; i < common; i++) {
    if (old[i].name !== now[i].name) {
      // The same slot under a new name: positional callers are fine, callers that name it are not.
      if (on.includes(now[i].name)) f.add('PARAM_REORDERED', s, m, `parameter "${now[i].name}" moved from position ${on.indexOf(now[i].name) + 1} to ${i + 1}`);
      else f.add('PARAM_RENAMED', s, m, `parameter ${i + 1} renamed from "${old[i].name}" to "${now[i].name}"`);
    }
    compareParamTypes(f, s, m, old[i], now[i], i);
  }
  for (let i = common; i < old.length; i++) f.add('PARAM_REMOVED', s, m, `parameter ${i + 1} ("${old[i].name}") was removed`);
  for (let i = common; i < now.length; i++) {
    const p = now[i];
    if (p.optional) f.add('PARAM_ADDED_OPTIONAL', s, m, `optional parameter ${i + 1} ("${p.name}") was added`);
    else f.add('PARAM_ADDED_REQUIRED', s, m, `required parameter ${i + 1} ("${p.name}": ${p.type}) was added; old callers do not send it`);
  }
}

function compareMethod(f: Findings, s: string, o: ManifestMethod, n: ManifestMethod): void {
  const m = n.name;
  compareParams(f, s, m, o.params, n.params);
  if (!sameType(o.returns, n.returns)) {
    // A method may return less than it did (callers handle every old case); never more.
    if (accepts(o.returns, n.returns)) f.add('RETURN_TYPE_NARROWED', s, m, `returns ${n.returns} (was ${o.returns})`);
    else f.add('RETURN_TYPE_CHANGED', s, m, `return type changed from ${o.returns} to ${n.returns}`);
  }
  if (o.idempotent && !n.idempotent) f.add('IDEMPOTENT_REMOVED', s, m, 'no longer idempotent: callers may still retry it after it was sent');
  if (!o.idempotent && n.idempotent) f.add('IDEMPOTENT_ADDED', s, m, 'now idempotent');
  if ((o.stream ?? 'unary') !== (n.stream ?? 'unary')) f.add('STREAM_KIND_CHANGED', s, m, `stream kind changed from ${o.stream ?? 'unary'} to ${n.stream ?? 'unary'}`);
  if (o.timeoutMs !== n.timeoutMs) f.add('TIMEOUT_CHANGED', s, m, `timeoutMs changed from ${o.timeoutMs ?? 'none'} to ${n.timeoutMs ?? 'none'}`);
  if (o.deprecated !== true && n.deprecated === true) f.add('METHOD_DEPRECATED', s, m, 'newly deprecated');
  if (o.deprecated === true && n.deprecated !== true) f.add('METHOD_UNDEPRECATED', s, m, 'no longer deprecated');
}

function compareService(f: Findings, o: ManifestService, n: ManifestService): void {
  const s = n.name;
  if (o.version !== n.version) f.add('VERSION_CHANGED', s, undefined, `version changed from ${o.version ?? 'none'} to ${n.version ?? 'none'}`);
  if (o.deprecated !== true && n.deprecated === true) f.add('SERVICE_DEPRECATED', s, undefined, 'newly deprecated');
  const now = new Map(n.methods.map((m) => [m.name, m]));
  const old = new Map(o.methods.map((m) => [m.name, m]));
  for (const m of o.methods) {
    const nm = now.get(m.name);
    if (nm === undefined) f.add('METHOD_REMOVED', s, m.name, 'method removed');
    else compareMethod(f, s, m, nm);
  }
  for (const m of n.methods) if (!old.has(m.name)) f.add('METHOD_ADDED', s, m.name, 'method added');
}

/**
 * Compares two manifests and lists every change, ERR first, then by service and method. Only the
 * contract matters: a method's body, or a parameter's name on the wire, is not part of it.
 */
export function diffManifests(old: ContractManifest, now: ContractManifest): Finding[] {
  const f = new Findings();
  const nowByName = new Map(now.services.map((s) => [s.name, s]));
  const oldByName = new Map(old.services.map((s) => [s.name, s]));
  for (const s of old.services) {
    const ns = nowByName.get(s.name);
    if (ns === undefined) f.add('SERVICE_REMOVED', s.name, undefined, 'service removed');
    else compareService(f, s, ns);
  }
  for (const s of now.services) if (!oldByName.has(s.name)) f.add('SERVICE_ADDED', s.name, undefined, 'service added');
  const key = (x: Finding) => `${x.service}\0${x.method ?? ''}`;
  return f.list
    .map((x, i) => ({ x, i }))
    .sort((a, b) => SEVERITY_ORDER[a.x.severity] - SEVERITY_ORDER[b.x.severity] || (key(a.x) < key(b.x) ? -1 : key(a.x) > key(b.x) ? 1 : a.i - b.i))
    .map(({ x }) => x);
}
