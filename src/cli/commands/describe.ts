import { isRpcError, RpcError } from '../../errors';
import type { ReflectedMethod, ReflectedService } from '../../server';
import type { Output } from '../output';
import { type CallSettings, describeOne } from '../reflection-client';
import type { Target } from '../target';

/** `multiply(a: number, b: number): number`, or `multiply(2 args)` without a contract. */
export function signature(m: ReflectedMethod): string {
  if (m.params.length === 0 && m.arity > 0) return `${m.name}(${m.arity} ${m.arity === 1 ? 'arg' : 'args'})${m.returns === undefined ? '' : `: ${m.returns}`}`;
  const params = m.params.map((p) => `${p.name}${p.optional ? '?' : ''}: ${p.type}`).join(', ');
  return `${m.name}(${params})${m.returns === undefined ? '' : `: ${m.returns}`}`;
}

function facts(m: ReflectedMethod): string {
  const f: string[] = [];
  if (m.idempotent) f.push('idempotent');
  if (m.timeoutMs !== undefined) f.push(`timeout ${m.timeoutMs}ms`);
  if (m.stream !== undefined) f.push(`stream ${m.stream}`);
  if (m.deprecated === true) f.push('deprecated');
  return f.join(', ');
}

function render(svc: ReflectedService): string {
  const lines = [`${svc.name}${svc.version === undefined ? '' : ` (version ${svc.version})`}`];
  const sigs = svc.methods.map(signature);
  const width = Math.max(0, ...sigs.map((s) => s.length));
  svc.methods.forEach((m, i) => {
    const f = facts(m);
    lines.push(`  ${f === '' ? sigs[i] : `${sigs[i].padEnd(width)}  ${f}`}`);
  });
  return lines.join('\n');
}

async function find(target: Target, what: string, s: CallSettings): Promise<{ svc: ReflectedService; method?: string }> {
  const dot = what.lastIndexOf('.');
  if (dot > 0 && dot < what.length - 1) {
    const service = what.slice(0, dot);
    const method = what.slice(dot + 1);
    try {
      return { svc: await describeOne(target, service, await target.addressesOf(service), s), method };
    } catch (err) {
      // `rivet.Health` is a service whose name holds a dot: try the whole name as a service.
      if (!isRpcError(err) || err.code !== 'UNIMPLEMENTED') throw err;
    }
  }
  return { svc: await describeOne(target, what, await target.addressesOf(what), s) };
}

/**
 * Describes a service, or one method, from `rivet.Reflection`. An unknown service or method is
 * UNIMPLEMENTED; a refused reflection call rejects with its error, before anything is printed.
 */
export async function runDescribe(target: Target, what: string, s: CallSettings, format: string, out: Output): Promise<number> {
  const { svc, method } = await find(target, what, s);
  let shown = svc;
  if (method !== undefined) {
    const m = svc.methods.find((x) => x.name === method);
    if (m === undefined) {
      throw new RpcError('UNIMPLEMENTED', `${svc.name} has no method "${method}"; it has ${svc.methods.map((x) => x.name).join(', ') || 'none'}`, {
        reason: 'UNKNOWN_METHOD',
        service: svc.name,
        method,
      });
    }
    shown = { ...svc, methods: [m] };
  }
  if (format === 'json') {
    // name, version, methods, then the contract entry: the order a reader scans in.
    const doc: Record<string, unknown> = { name: shown.name };
    if (shown.version !== undefined) doc.version = shown.version;
    doc.methods = shown.methods;
    if (method === undefined && shown.contract !== undefined) doc.contract = shown.contract;
    out.json(doc);
  } else {
    out.text(render(shown));
  }
  return 0;
}
