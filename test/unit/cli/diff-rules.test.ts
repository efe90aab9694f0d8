import * as path from 'node:path';
import * as ts from 'typescript';
import { DIFF_RULES, diffManifests, type DiffRule } from '../../../src/cli';
import { unionMembers } from '../../../src/cli/diff/diff-rules';
import { extractManifest } from '../../../src/cli/manifest/extract-manifest';
import type { ContractManifest } from '../../../src/manifest';

jest.setTimeout(60_000);

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'contracts');
// One program carried from fixture to fixture: what they import is parsed once.
const reuse: { program?: ts.Program } = {};
const manifestOf = (variant: string): ContractManifest => extractManifest(ts, [path.join(FIXTURES, variant, 'orders.ts')], reuse);

// Each fixture folder changes the base in one way, and trips exactly the rule it is named after.
const CASES: Array<[folder: string, rule: DiffRule, service: string, method: string | undefined]> = [
  ['service-removed', 'SERVICE_REMOVED', 'Audit', undefined],
  ['method-removed', 'METHOD_REMOVED', 'Orders', 'cancel'],
  ['param-added-required', 'PARAM_ADDED_REQUIRED', 'Orders', 'place'],
  ['param-removed', 'PARAM_REMOVED', 'Orders', 'cancel'],
  ['param-reordered', 'PARAM_REORDERED', 'Orders', 'place'],
  ['param-made-required', 'PARAM_MADE_REQUIRED', 'Orders', 'list'],
  ['param-type-changed', 'PARAM_TYPE_CHANGED', 'Orders', 'get'],
  ['return-type-changed', 'RETURN_TYPE_CHANGED', 'Orders', 'cancel'],
  ['idempotent-removed', 'IDEMPOTENT_REMOVED', 'Orders', 'get'],
  ['stream-kind-changed', 'STREAM_KIND_CHANGED', 'Orders', 'list'],
  ['param-renamed', 'PARAM_RENAMED', 'Orders', 'cancel'],
  ['method-deprecated', 'METHOD_DEPRECATED', 'Orders', 'find'],
  ['service-deprecated', 'SERVICE_DEPRECATED', 'Audit', undefined],
  ['service-added', 'SERVICE_ADDED', 'Billing', undefined],
  ['method-added', 'METHOD_ADDED', 'Orders', 'count'],
  ['param-added-optional', 'PARAM_ADDED_OPTIONAL', 'Orders', 'list'],
  ['param-made-optional', 'PARAM_MADE_OPTIONAL', 'Orders', 'cancel'],
  ['param-type-widened', 'PARAM_TYPE_WIDENED', 'Orders', 'get'],
  ['return-type-narrowed', 'RETURN_TYPE_NARROWED', 'Orders', 'find'],
  ['idempotent-added', 'IDEMPOTENT_ADDED', 'Orders', 'place'],
  ['timeout-changed', 'TIMEOUT_CHANGED', 'Orders', 'list'],
  ['version-changed', 'VERSION_CHANGED', 'Orders', undefined],
  ['method-undeprecated', 'METHOD_UNDEPRECATED', 'Orders', 'all'],
];

describe('diff rules over fixture sources', () => {
  const base = manifestOf('base');

  it('has a fixture for every rule', () => {
    expect(CASES.map((c) => c[1]).sort()).toEqual(Object.keys(DIFF_RULES).sort());
  });

  it.each(CASES)('%s trips %s and nothing else', (folder, rule, service, method) => {
    const findings = diffManifests(base, manifestOf(folder));
    const expected: Record<string, unknown> = { rule, severity: DIFF_RULES[rule], service };
    if (method !== undefined) expected.method = method;
    expect(findings.map(({ message: _m, ...f }) => f)).toEqual([expected]);
    expect(findings[0].message.length).toBeGreaterThan(0);
  });

  it('finds nothing when only bodies and comments change', () => {
    expect(diffManifests(base, manifestOf('unchanged'))).toEqual([]);
  });

  it('gives the severities the contract lists', () => {
    const err: DiffRule[] = ['SERVICE_REMOVED', 'METHOD_REMOVED', 'PARAM_ADDED_REQUIRED', 'PARAM_REMOVED', 'PARAM_REORDERED', 'PARAM_TYPE_CHANGED', 'RETURN_TYPE_CHANGED', 'IDEMPOTENT_REMOVED', 'STREAM_KIND_CHANGED'];
    for (const r of err) expect(DIFF_RULES[r]).toBe('ERR');
    expect(DIFF_RULES.PARAM_RENAMED).toBe('WARN');
    expect(DIFF_RULES.METHOD_DEPRECATED).toBe('WARN');
    expect(DIFF_RULES.METHOD_ADDED).toBe('INFO');
    expect(DIFF_RULES.PARAM_ADDED_OPTIONAL).toBe('INFO');
  });

  it('lists ERR findings first, then WARN, then INFO', () => {
    const old = base;
    const now: ContractManifest = JSON.parse(JSON.stringify(base));
    const orders = now.services.find((s) => s.name === 'Orders')!;
    orders.methods.push({ name: 'zzz', params: [], returns: 'void', idempotent: false });
    orders.methods.find((m) => m.name === 'find')!.deprecated = true;
    now.services = now.services.filter((s) => s.name !== 'Audit');
    expect(diffManifests(old, now).map((f) => f.severity)).toEqual(['ERR', 'WARN', 'INFO']);
  });

  it('reads an inserted parameter as a reorder (old arguments shift position)', () => {
    const m = (names: string[]): ContractManifest => ({
      manifestVersion: 1,
      services: [{ name: 'S', methods: [{ name: 'm', params: names.map((name) => ({ name, type: 'string', optional: false })), returns: 'void', idempotent: false }] }],
    });
    expect(diffManifests(m(['a', 'b']), m(['a', 'x', 'b'])).map((f) => f.rule)).toEqual(['PARAM_REORDERED']);
    expect(diffManifests(m(['a', 'b', 'c']), m(['a', 'c'])).map((f) => f.rule)).toEqual(['PARAM_REMOVED']);
  });
});

describe('unionMembers', () => {
  it('splits a top-level union only', () => {
    expect([...unionMembers('string | Array<number | string> | { a: 1 | 2 } | "x|y"')]).toEqual(['string', 'Array<number | string>', '{ a: 1 | 2 }', '"x|y"']);
  });
});
