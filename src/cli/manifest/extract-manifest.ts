import type * as TS from 'typescript';
import { type ContractManifest, MANIFEST_VERSION, type ManifestMethod, type ManifestParam, type ManifestService, STREAM_KINDS, type StreamKind } from '../../manifest';
import { CliFailure } from '../exit-codes';
import type { TypeScriptApi } from './load-typescript';

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** What one decorator call says: its (unaliased) name and its arguments. */
interface DecoratorCall {
  name: string;
  args: readonly TS.Expression[];
}

/**
 * Reads `@Service` classes and their `@Method` members from TypeScript sources with the compiler
 * API, without running any of it, and returns their manifest: sorted, so the same sources give a
 * byte-identical document. Follows the framework: the service name is `@Service`'s first
 * argument or the class name; `@Method` members of base classes count, a subclass's own winning;
 * `timeoutMs` is the tightest of `@Method({ timeoutMs })` and `@Timeout` on the method or the
 * class. Throws CliFailure when two classes claim one service name.
 */
export function extractManifest(ts: TypeScriptApi, files: readonly string[], reuse?: { program?: TS.Program }): ContractManifest {
  // `reuse` carries a program from one call to the next, so a caller reading many versions of
  // the same sources (tests, a diff tool) parses what they import once.
  const program = ts.createProgram({ rootNames: [...files], oldProgram: reuse?.program, options: {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    experimentalDecorators: true,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  } });
  if (reuse !== undefined) reuse.program = program;
  const checker = program.getTypeChecker();
  const wanted = new Set(files.map((f) => ts.sys.resolvePath(f)));
  const services = new Map<string, { svc: ManifestService; where: string }>();

  const decoratorsOf = (node: TS.Node): DecoratorCall[] => {
    if (!ts.canHaveDecorators(node)) return [];
    return (ts.getDecorators(node) ?? []).flatMap((d) => {
      const e = d.expression;
      if (!ts.isCallExpression(e)) return [];
      const name = decoratorName(ts, checker, e.expression);
      return name === undefined ? [] : [{ name, args: e.arguments }];
    });
  };

  const literal = (e: TS.Expression | undefined): string | number | boolean | undefined => {
    if (e === undefined) return undefined;
    const t = checker.getTypeAtLocation(e);
    if (t.isStringLiteral() || t.isNumberLiteral()) return t.value;
    if (t.flags & ts.TypeFlags.BooleanLiteral) return (t as unknown as { intrinsicName: string }).intrinsicName === 'true';
    return undefined;
  };

  const options = (input: TS.Expression | undefined): Map<string, TS.Expression> => {
    const out = new Map<string, TS.Expression>();
    let e = input;
    // `{ ... } as MethodOptions`, `{ ... } satisfies MethodOptions`, `({ ... })`
    while (e !== undefined && (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e))) e = e.expression;
    if (e !== undefined && ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) out.set(p.name.text, p.initializer);
    }
    return out;
  };

  const timeoutOf = (node: TS.Node): number | undefined => {
    const t = decoratorsOf(node).find((d) => d.name === 'Timeout');
    const v = literal(t?.args[0]);
    return typeof v === 'number' ? v : undefined;
  };

  const typeText = (t: TS.Type, at: TS.Node): string =>
    checker
      .typeToString(t, at, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope)
      // A type from a module the file does not name prints with its absolute path: drop it, so
      // the manifest is the same on every machine.
      .replace(/import\("[^"]*"\)\./g, '');

  const paramOf = (p: TS.ParameterDeclaration, i: number): ManifestParam => {
    const optional = p.questionToken !== undefined || p.initializer !== undefined || p.dotDotDotToken !== undefined;
    let type: TS.Type = p.type !== undefined ? checker.getTypeFromTypeNode(p.type) : checker.getTypeAtLocation(p);
    if (optional && p.type === undefined) type = checker.getNonNullableType(type);
    return { name: ts.isIdentifier(p.name) ? p.name.text : `arg${i}`, type: typeText(type, p), optional };
  };

  const methodOf = (m: TS.MethodDeclaration, opts: Map<string, TS.Expression>, classTimeout: number | undefined): ManifestMethod => {
    const signature = checker.getSignatureFromDeclaration(m);
    const raw = signature === undefined ? checker.getAnyType() : checker.getReturnTypeOfSignature(signature);
    const out: ManifestMethod = {
      name: (m.name as TS.Identifier).text,
      params: m.parameters.map(paramOf),
      returns: typeText(checker.getAwaitedType(raw) ?? raw, m),
      idempotent: literal(opts.get('idempotent')) === true,
    };
    const timeouts = [literal(opts.get('timeoutMs')), timeoutOf(m), classTimeout].filter((v): v is number => typeof v === 'number' && v > 0);
    if (timeouts.length > 0) out.timeoutMs = Math.min(...timeouts);
    const stream = literal(opts.get('stream'));
    if (STREAM_KINDS.includes(stream as StreamKind)) out.stream = stream as StreamKind;
    if (isDeprecated(ts, m)) out.deprecated = true;
    return out;
  };

  /** `@Method` members of a class and its bases, base first, so a subclass's own wins. */
  const methodsOf = (cls: TS.ClassLikeDeclaration, classTimeout: number | undefined, seen: Set<TS.Node>): Map<string, ManifestMethod> => {
    const out = new Map<string, ManifestMethod>();
    if (seen.has(cls)) return out;
    seen.add(cls);
    const base = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    const baseDecl = base === undefined ? undefined : checker.getTypeAtLocation(base.expression).getSymbol()?.declarations?.find(ts.isClassLike);
    if (baseDecl === undefined && base !== undefined) {
      const sym = checker.getSymbolAtLocation(base.expression);
      const decl = (sym && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym)?.declarations?.find(ts.isClassLike);
      if (decl !== undefined) for (const [k, v] of methodsOf(decl, classTimeout, seen)) out.set(k, v);
    } else if (baseDecl !== undefined) {
      for (const [k, v] of methodsOf(baseDecl, classTimeout, seen)) out.set(k, v);
    }
    for (const member of cls.members) {
      if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name) || member.body === undefined) continue;
      const method = decoratorsOf(member).find((d) => d.name === 'Method');
      if (method === undefined) continue;
      out.set(member.name.text, methodOf(member, options(method.args[0]), classTimeout));
    }
    return out;
  };

  const visit = (node: TS.Node): void => {
    if (ts.isClassDeclaration(node)) {
      const service = decoratorsOf(node).find((d) => d.name === 'Service');
      if (service !== undefined) {
        const named = literal(service.args[0]);
        const name = typeof named === 'string' ? named : (node.name?.text ?? 'default');
        const svc: ManifestService = { name, methods: [...methodsOf(node, timeoutOf(node), new Set()).values()].sort(byName) };
        const version = literal(options(service.args[1]).get('version'));
        if (typeof version === 'string') svc.version = version;
        if (isDeprecated(ts, node)) svc.deprecated = true;
        const where = `${node.getSourceFile().fileName}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const clash = services.get(name);
        if (clash !== undefined) throw new CliFailure(`two classes are @Service "${name}": ${clash.where} and ${where}; give one another name with @Service('OtherName').`);
        services.set(name, { svc: ordered(svc), where });
      }
    }
    ts.forEachChild(node, visit);
  };

  for (const sf of program.getSourceFiles()) if (wanted.has(ts.sys.resolvePath(sf.fileName))) visit(sf);
  return { manifestVersion: MANIFEST_VERSION, services: [...services.values()].map((s) => s.svc).sort(byName) };
}

/** The decorator's name as it was exported, seeing through `import { Service as Svc }`. */
function decoratorName(ts: TypeScriptApi, checker: TS.TypeChecker, callee: TS.Expression): string | undefined {
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text; // rivet.Service(...)
  if (!ts.isIdentifier(callee)) return undefined;
  const decl = checker.getSymbolAtLocation(callee)?.declarations?.[0];
  if (decl !== undefined && ts.isImportSpecifier(decl)) return (decl.propertyName ?? decl.name).text;
  return callee.text;
}

function isDeprecated(ts: TypeScriptApi, node: TS.Node): boolean {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === 'deprecated');
}

/** The service with its keys in the documented order (JSON keeps insertion order). */
function ordered(s: ManifestService): ManifestService {
  const out: Partial<ManifestService> = { name: s.name };
  if (s.version !== undefined) out.version = s.version;
  if (s.deprecated === true) out.deprecated = true;
  out.methods = s.methods.map((m) => {
    const o: ManifestMethod = { name: m.name, params: m.params, returns: m.returns, idempotent: m.idempotent };
    if (m.timeoutMs !== undefined) o.timeoutMs = m.timeoutMs;
    if (m.stream !== undefined) o.stream = m.stream;
    if (m.deprecated === true) o.deprecated = true;
    return o;
  });
  return out as ManifestService;
}
