import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseDurationMs } from '../../../src/cli/duration';
import { UsageError } from '../../../src/cli/exit-codes';
import { parseJsonOrExplain, readCallArgs } from '../../../src/cli/json-args';

const noStdin = () => {
  throw new Error('stdin read');
};

describe('readCallArgs', () => {
  it('reads a JSON array from the operand, -d, -d @file and -d @-', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rivet-args-'));
    try {
      writeFileSync(path.join(dir, 'a.json'), '[1, "two"]');
      expect(readCallArgs('[7,8]', undefined, noStdin)).toEqual([7, 8]);
      expect(readCallArgs(undefined, '[{"a":null}]', noStdin)).toEqual([{ a: null }]);
      expect(readCallArgs(undefined, `@${path.join(dir, 'a.json')}`, noStdin)).toEqual([1, 'two']);
      expect(readCallArgs(undefined, '@-', () => ' [true] ')).toEqual([true]);
      expect(readCallArgs(undefined, undefined, noStdin)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['[1,2', /ARGS_JSON is not valid JSON: CommaExpected|CloseBracketExpected/],
    ['[1,,2]', /ValueExpected at line 1, column 4 \(offset 3\)/],
    ['[1]\n x', /at line 2, column 2 \(offset 5\)/],
    ['{"a":1}', /must be a JSON array of the positional arguments, e.g. '\[7, 8\]' \(got object\)/],
    ['null', /\(got null\)/],
  ])('refuses %j with a usage error that says where', (text, message) => {
    expect(() => readCallArgs(text, undefined, noStdin)).toThrow(UsageError);
    expect(() => readCallArgs(text, undefined, noStdin)).toThrow(message);
  });

  it('refuses both an operand and -d, and a file it cannot read', () => {
    expect(() => readCallArgs('[]', '[]', noStdin)).toThrow(/either ARGS_JSON or -d, not both/);
    expect(() => readCallArgs(undefined, '@/nonexistent/args.json', noStdin)).toThrow(/-d @\/nonexistent\/args.json: cannot read the file/);
  });

  it('parses what JSON.parse parses', () => {
    for (const v of [0, 'x', [1, [2]], { a: { b: [] } }, null, true]) expect(parseJsonOrExplain(JSON.stringify(v), 'x')).toEqual(v);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2_000],
    ['1.5s', 1_500],
    ['1m', 60_000],
    ['250', 250],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationMs('--timeout', text)).toBe(ms);
  });

  it.each(['0', '-1s', 'soon', '5 days', ''])('refuses %j', (text) => {
    expect(() => parseDurationMs('--timeout', text)).toThrow(/--timeout must be a duration like 500ms/);
  });
});
