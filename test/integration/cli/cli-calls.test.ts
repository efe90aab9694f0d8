import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bearerAuth, Method, RpcError, Service } from '../../../src';
import { CalcService } from '../../fixtures/cli/calc.service';
import { Harness } from '../../helpers/apps';
import { rivet, stderrError } from '../../helpers/cli';

// Every test here runs the CLI as a child process, some several times: room for a loaded machine.
jest.setTimeout(120_000);

@Service('Greeter')
class GreeterService {
  @Method()
  hello(name: string): string {
    return `hello ${name}`;
  }
}

@Service('Ticks')
class TicksService {
  @Method({ stream: 'server' })
  async *count(n: number): AsyncGenerator<{ i: number }> {
    for (let i = 0; i < n; i++) yield { i };
  }

  @Method({ stream: 'server' })
  async *failAfter(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) yield i;
    throw new RpcError('FAILED_PRECONDITION', `stopped after ${n}`, { n });
  }

  @Method({ stream: 'client' })
  async total(input: AsyncIterable<number>, scale: number): Promise<number> {
    let sum = 0;
    for await (const x of input) sum += x;
    return sum * scale;
  }

  @Method({ stream: 'bidi' })
  async *shout(input: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const word of input) yield word.toUpperCase();
  }
}

const h = new Harness();
afterEach(() => h.close());

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rivet-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rivet call', () => {
  it('prints the result as JSON on stdout and nothing on stderr', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['call', '--addr', address, 'Calc.multiply', '[7,8]']);
    expect(run).toMatchObject({ code: 0, stdout: '56\n', stderr: '' });
  });

  it('prints objects indented, or on one line with -o json', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const pretty = await rivet(['call', '--addr', address, 'Calc.echo', '[{"a":1},2]']);
    expect(pretty).toMatchObject({ code: 0, stdout: '[\n  {\n    "a": 1\n  },\n  {\n    "a": 1\n  }\n]\n', stderr: '' });
    const line = await rivet(['call', '--addr', address, 'Calc.echo', '[{"a":1},2]', '-o', 'json']);
    expect(line).toMatchObject({ code: 0, stdout: '[{"a":1},{"a":1}]\n', stderr: '' });
  });

  it('exits 64 + the code and prints { code, message, details } on stderr when the call fails', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['call', '--addr', address, 'Calc.find', '["x1"]']);
    expect(run.code).toBe(69);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('{"code":"NOT_FOUND","message":"no item x1","details":{"id":"x1"}}\n');
  });

  it('exits 76 (UNIMPLEMENTED) for an unknown method or service', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const method = await rivet(['call', '--addr', address, 'Calc.divide', '[1,2]']);
    expect(method.code).toBe(76);
    expect(method.stdout).toBe('');
    expect(stderrError(method)).toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'UNKNOWN_METHOD' } });
    const service = await rivet(['call', '--addr', address, 'Nope.multiply', '[1,2]']);
    expect(service.code).toBe(76);
    expect(stderrError(service).code).toBe('UNIMPLEMENTED');
  });

  it('sets the deadline with --timeout and exits 68 when it passes', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['call', '--addr', address, 'Calc.slow', '[60000]', '--timeout', '200ms']);
    expect(run.code).toBe(68);
    expect(run.stdout).toBe('');
    expect(stderrError(run)).toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { reason: 'DEADLINE' } });
    expect(run.ms).toBeLessThan(30_000); // did not wait for the method's minute
  });

  it('exits 78 (UNAVAILABLE) when nothing listens at the address', async () => {
    const { app, address } = await h.serve({ services: [CalcService] });
    await app.close();
    const run = await rivet(['call', '--addr', address, 'Calc.multiply', '[1,2]']);
    expect(run.code).toBe(78);
    expect(run.stdout).toBe('');
    expect(stderrError(run)).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'CONNECT_FAILED' } });
  });

  it('calls a method with no arguments when ARGS_JSON is left out', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['call', '--addr', address, 'Calc.whoami']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({});
  });

  it('sends -H as call metadata (keys lower-cased)', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['call', '--addr', address, 'Calc.whoami', '-H', 'X-Tenant=acme', '-H', 'trace: on']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ 'x-tenant': 'acme', trace: 'on' });
  });

  it('reads the arguments from a file with -d @file and from stdin with -d @-', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const file = path.join(dir, 'args.json');
    writeFileSync(file, '[6, 7]\n');
    expect(await rivet(['call', '--addr', address, 'Calc.multiply', '-d', `@${file}`])).toMatchObject({ code: 0, stdout: '42\n', stderr: '' });
    expect(await rivet(['call', '--addr', address, 'Calc.multiply', '-d', '@-'], { input: '[3,\n 5]' })).toMatchObject({ code: 0, stdout: '15\n', stderr: '' });
  });

  it('exits 2 and says where malformed ARGS_JSON broke, without calling', async () => {
    const { app, address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['call', '--addr', address, 'Calc.multiply', '[7,x]']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^rivet: ARGS_JSON is not valid JSON: InvalidSymbol at line 1, column 4 \(offset 3\)/);
    const stdin = await rivet(['call', '--addr', address, 'Calc.multiply', '-d', '@-'], { input: '[1,\n  2,,]' });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toMatch(/-d @- \(stdin\) is not valid JSON: ValueExpected at line 2, column 5/);
    const notArray = await rivet(['call', '--addr', address, 'Calc.multiply', '{"a":1}']);
    expect(notArray.code).toBe(2);
    expect(notArray.stderr).toMatch(/must be a JSON array of the positional arguments/);
    expect(app.get(CalcService).calls).toBe(0);
  });

  it('exits 2 for usage errors: no target, an unknown flag, a bad address, a bad duration', async () => {
    for (const args of [
      ['call', 'Calc.multiply', '[1,2]'],
      ['call', '--addr', '127.0.0.1:1', '--bogus', 'Calc.multiply'],
      ['call', '--addr', 'nowhere', 'Calc.multiply'],
      ['call', '--addr', '127.0.0.1:1', '--timeout', 'soon', 'Calc.multiply'],
      ['call', '--addr', '127.0.0.1:1', 'multiply'],
    ]) {
      const run = await rivet(args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).not.toBe('');
    }
  });

  it('sends each call to the given address that serves its service', async () => {
    const calc = await h.serve({ services: [CalcService] });
    const greeter = await h.serve({ services: [GreeterService] });
    const addrs = ['--addr', calc.address, '--addr', greeter.address];
    for (let i = 0; i < 3; i++) {
      expect(await rivet(['call', ...addrs, 'Greeter.hello', '["ada"]'])).toMatchObject({ code: 0, stdout: '"hello ada"\n', stderr: '' });
      expect(await rivet(['call', ...addrs, 'Calc.multiply', '[2,5]'])).toMatchObject({ code: 0, stdout: '10\n', stderr: '' });
    }
    const unknown = await rivet(['call', ...addrs, 'Nope.x']);
    expect(unknown).toMatchObject({ code: 76, stdout: '', stderr: '{"code":"UNIMPLEMENTED","message":"no address given serves \\"Nope\\"","details":{"reason":"UNKNOWN_METHOD","service":"Nope"}}\n' });
  });

  it('takes the address from RIVET_ADDR, comma-separated for several', async () => {
    const greeter = await h.serve({ services: [GreeterService] });
    expect(await rivet(['call', 'Greeter.hello', '["bo"]'], { env: { RIVET_ADDR: `127.0.0.1:1,${greeter.address}` } })).toMatchObject({ code: 0, stdout: '"hello bo"\n' });
  });

  it('takes the address from RIVET_ADDR', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    expect(await rivet(['call', 'Calc.multiply', '[2,3]'], { env: { RIVET_ADDR: address } })).toMatchObject({ code: 0, stdout: '6\n' });
  });

  it('lets --etcd win over an exported RIVET_ADDR, and refuses --addr with --etcd', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    // Nothing listens at port 1: the etcd flag was used (UNAVAILABLE), not refused as a second target (2).
    const etcd = await rivet(['ls', '--etcd', 'http://127.0.0.1:1'], { env: { RIVET_ADDR: address } });
    expect(etcd.code).toBe(78);
    expect(etcd.stdout).toBe('');
    const both = await rivet(['ls', '--etcd', 'http://127.0.0.1:1', '--addr', address]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give either --addr or --etcd, not both');
  });

  it('takes the flags in any place: --addr=host:port, -o before the method, flags before the command', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    for (const args of [
      ['call', `--addr=${address}`, 'Calc.multiply', '[2,3]', '-o', 'json'],
      ['call', '-o', 'json', '--addr', address, 'Calc.multiply', '[2,3]'],
      ['--addr', address, 'call', 'Calc.multiply', '[2,3]', '-o', 'json'],
      ['-o', 'json', `--addr=${address}`, 'call', 'Calc.multiply', '[2,3]'],
    ]) {
      expect({ args, ...(await rivet(args)) }).toMatchObject({ args, code: 0, stdout: '6\n', stderr: '' });
    }
  });

  it('calls streaming methods as grpcurl does: each message of a server or bidi stream is a JSON document', async () => {
    const { address } = await h.serve({ services: [TicksService] });
    expect(await rivet(['call', '--addr', address, 'Ticks.count', '[3]', '-o', 'json'])).toMatchObject({ code: 0, stdout: '{"i":0}\n{"i":1}\n{"i":2}\n', stderr: '' });
    expect(await rivet(['call', '--addr', address, 'Ticks.count', '[1]'])).toMatchObject({ code: 0, stdout: '{\n  "i": 0\n}\n', stderr: '' });
    // A client or bidi stream's input messages are a JSON array in the first argument.
    expect(await rivet(['call', '--addr', address, 'Ticks.total', '[[1,2,3],10]'])).toMatchObject({ code: 0, stdout: '60\n', stderr: '' });
    expect(await rivet(['call', '--addr', address, 'Ticks.shout', '[["a","b"]]', '-o', 'json'])).toMatchObject({ code: 0, stdout: '"A"\n"B"\n', stderr: '' });
    // Messages sent before a failure are printed; the failure exits with its code.
    expect(await rivet(['call', '--addr', address, 'Ticks.failAfter', '[2]', '-o', 'json'])).toMatchObject({
      code: 73,
      stdout: '0\n1\n',
      stderr: '{"code":"FAILED_PRECONDITION","message":"stopped after 2","details":{"n":2}}\n',
    });
  });

  it('pins one endpoint with --instance', async () => {
    const a = await h.serve({ services: [CalcService] });
    const b = await h.serve({ services: [CalcService] });
    for (let i = 0; i < 3; i++) expect((await rivet(['call', '--addr', a.address, '--instance', b.address, 'Calc.multiply', '[1,1]'])).code).toBe(0);
    expect(a.app.get(CalcService).calls).toBe(0);
    expect(b.app.get(CalcService).calls).toBe(3);
  });

  it('sends a bearer token with -H authorization and exits 80 without one', async () => {
    const verify = (token: string) => (token === 's3cret' ? { user: 'ada' } : undefined);
    const { address } = await h.serve({ services: [CalcService], interceptors: [bearerAuth({ verify })] });
    const refused = await rivet(['call', '--addr', address, 'Calc.multiply', '[2,2]']);
    expect(refused).toMatchObject({ code: 80, stdout: '', stderr: '{"code":"UNAUTHENTICATED","message":"missing bearer token","details":{}}\n' });
    expect(await rivet(['call', '--addr', address, 'Calc.multiply', '[2,2]', '-H', 'authorization=Bearer s3cret'])).toMatchObject({ code: 0, stdout: '4\n', stderr: '' });
  });
});

describe('rivet --help', () => {
  it('prints usage with the exit code table on stdout and exits 0', async () => {
    const run = await rivet(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const line of ['Exit codes:', '2  usage error', '68  DEADLINE_EXCEEDED', '69  NOT_FOUND', '76  UNIMPLEMENTED', '78  UNAVAILABLE', '80  UNAUTHENTICATED']) {
      expect(run.stdout).toContain(line);
    }
  });

  it.each(['ls', 'describe', 'call', 'health', 'bench', 'manifest', 'diff'])('has --help for %s', async (command) => {
    const run = await rivet([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: rivet ${command}`);
    expect(run.stderr).toBe('');
  });

  it('exits 2 for an unknown command', async () => {
    const run = await rivet(['lsit']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("unknown command 'lsit'");
  });
});
