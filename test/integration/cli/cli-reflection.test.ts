import * as path from 'node:path';
import { bearerAuth, createApp, createClient, type ContractManifest } from '../../../src';
import { CalcService } from '../../fixtures/cli/calc.service';
import { Harness, waitFor } from '../../helpers/apps';
import { rivet, stderrError } from '../../helpers/cli';

// Every test here runs the CLI as a child process, some several times: room for a loaded machine.
jest.setTimeout(120_000);

const CALC_SOURCE = path.join(__dirname, '..', '..', 'fixtures', 'cli', 'calc.service.ts');

const h = new Harness();
afterEach(() => h.close());

let contract: ContractManifest;
beforeAll(async () => {
  // The contract comes from the CLI itself, as a build step would make it.
  const run = await rivet(['manifest', CALC_SOURCE]);
  expect(run.code).toBe(0);
  contract = JSON.parse(run.stdout) as ContractManifest;
});

const verify = (token: string) => (token === 's3cret' ? { user: 'ada' } : undefined);

describe('rivet.Reflection', () => {
  it('answers through the client like any service, with each method facts', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const client = h.client({ endpoints: { 'rivet.Reflection': [address] } });
    const listing = (await client.invoke('rivet.Reflection', 'list')) as { services: Array<{ name: string; version: string; methods: unknown[] }> };
    expect(listing.services.map((s) => [s.name, s.version])).toEqual([['Calc', '1.2.0']]);
    expect(listing.services[0].methods).toContainEqual({ name: 'multiply', arity: 2, params: [], idempotent: true });
    expect(listing.services[0].methods).toContainEqual({ name: 'slow', arity: 1, params: [], idempotent: false, timeoutMs: 5000 });
  });

  it('adds names, types and deprecations from the contract the app was given', async () => {
    const { address } = await h.serve({ services: [CalcService], contract });
    const client = h.client({ endpoints: { 'rivet.Reflection': [address] } });
    const calc = (await client.invoke('rivet.Reflection', 'describe', ['Calc'])) as { methods: Array<Record<string, unknown>>; contract: unknown };
    expect(calc.methods.find((m) => m.name === 'echo')).toEqual({
      name: 'echo',
      arity: 2,
      params: [
        { name: 'value', type: 'unknown', optional: false },
        { name: 'times', type: 'number', optional: true },
      ],
      returns: 'unknown[]',
      idempotent: false,
      deprecated: true,
    });
    expect(calc.contract).toEqual(contract.services[0]);
  });

  it('is guarded by the server interceptors (bearerAuth) like any call', async () => {
    const { address } = await h.serve({ services: [CalcService], interceptors: [bearerAuth({ verify })] });
    const client = h.client({ endpoints: { 'rivet.Reflection': [address] } });
    await expect(client.invoke('rivet.Reflection', 'list')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(client.invoke('rivet.Reflection', 'list', [], { metadata: { authorization: 'Bearer s3cret' } })).resolves.toMatchObject({ services: [{ name: 'Calc' }] });
  });

  it('is not served with reflection: false', async () => {
    const { address } = await h.serve({ services: [CalcService], reflection: false });
    const client = h.client({ endpoints: { 'rivet.Reflection': [address] } });
    await expect(client.invoke('rivet.Reflection', 'list')).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
  });

  it('refuses bad reflection and contract options at construction', async () => {
    await expect(createApp({ services: [CalcService], logger: false, reflection: 'no' as never })).rejects.toThrow(/createApp options.reflection must be/);
    await expect(createApp({ services: [CalcService], logger: false, contract: { services: [] } as never })).rejects.toThrow(/createApp options.contract.manifestVersion must be 1/);
    await expect(createApp({ services: [CalcService], logger: false, contract: { manifestVersion: 1, services: [{ name: 'Calc', methods: [{ name: 'x' }] }] } as never })).rejects.toThrow(
      /createApp options.contract.services\[0\].methods\[0\].params must be an array/,
    );
    expect(() => createClient({ logger: false })).not.toThrow();
  });
});

describe('rivet ls', () => {
  it('lists services, versions, method count and instances as a table', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['ls', '--addr', address]);
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: 'SERVICE  VERSION  METHODS  INSTANCES\nCalc     1.2.0    5        1\n' });
  });

  it('prints one JSON document with -o json, counting each address that serves a service', async () => {
    const a = await h.serve({ services: [CalcService] });
    const b = await h.serve({ services: [CalcService] });
    const run = await rivet(['ls', '--addr', a.address, '--addr', b.address, '-o', 'json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ services: [{ name: 'Calc', version: '1.2.0', versions: ['1.2.0'], methods: 5, instances: 2 }] });
  });

  it('exits with the refusal code and prints no methods when reflection is refused', async () => {
    const { address } = await h.serve({ services: [CalcService], interceptors: [bearerAuth({ verify })] });
    const refused = await rivet(['ls', '--addr', address]);
    expect(refused).toMatchObject({ code: 80, stdout: '', stderr: '{"code":"UNAUTHENTICATED","message":"missing bearer token","details":{}}\n' });
    const allowed = await rivet(['ls', '--addr', address, '-H', 'authorization=Bearer s3cret', '-o', 'json']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).services[0].name).toBe('Calc');
  });

  it('exits 76 when the server has reflection turned off', async () => {
    const { address } = await h.serve({ services: [CalcService], reflection: false });
    const run = await rivet(['ls', '--addr', address]);
    expect(run.code).toBe(76);
    expect(run.stdout).toBe('');
    expect(stderrError(run).code).toBe('UNIMPLEMENTED');
  });

  it('exits 78 when the only address is down', async () => {
    const { app, address } = await h.serve({ services: [CalcService] });
    await app.close();
    const run = await rivet(['ls', '--addr', address]);
    expect(run.code).toBe(78);
    expect(run.stdout).toBe('');
    expect(stderrError(run).code).toBe('UNAVAILABLE');
  });
});

describe('rivet describe', () => {
  it('shows each method: signature from the contract, idempotent, timeout, deprecation', async () => {
    const { address } = await h.serve({ services: [CalcService], contract });
    const run = await rivet(['describe', '--addr', address, 'Calc']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        'Calc (version 1.2.0)',
        '  echo(value: unknown, times?: number): unknown[]  deprecated',
        '  find(id: string): string',
        '  multiply(a: number, b: number): number           idempotent',
        '  slow(ms: number): number                         timeout 5000ms',
        '  whoami(): Record<string, string>                 idempotent',
        '',
      ].join('\n'),
    );
  });

  it('shows arity where no contract names the parameters', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['describe', '--addr', address, 'Calc.multiply']);
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: 'Calc (version 1.2.0)\n  multiply(2 args)  idempotent\n' });
  });

  it('prints one method as JSON with -o json', async () => {
    const { address } = await h.serve({ services: [CalcService], contract });
    const run = await rivet(['describe', '--addr', address, 'Calc.multiply', '-o', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      name: 'Calc',
      version: '1.2.0',
      methods: [
        {
          name: 'multiply',
          arity: 2,
          params: [
            { name: 'a', type: 'number', optional: false },
            { name: 'b', type: 'number', optional: false },
          ],
          returns: 'number',
          idempotent: true,
        },
      ],
    });
  });

  it('tries a dotted name as Service.method, then as a service name (built-ins are not listed)', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['describe', '--addr', address, 'rivet.Health']);
    expect(run.code).toBe(76);
    expect(stderrError(run).message).toBe('no service "rivet.Health" is served here');
    expect(run.stdout).toBe('');
  });

  it('exits 76 for an unknown service or method', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const service = await rivet(['describe', '--addr', address, 'Nope']);
    expect(service.code).toBe(76);
    expect(service.stdout).toBe('');
    expect(stderrError(service)).toMatchObject({ code: 'UNIMPLEMENTED', message: 'no service "Nope" is served here' });
    const method = await rivet(['describe', '--addr', address, 'Calc.divide']);
    expect(method.code).toBe(76);
    expect(method.stdout).toBe('');
    expect(stderrError(method)).toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'UNKNOWN_METHOD', service: 'Calc', method: 'divide' } });
  });

  it('exits with the refusal code when reflection is refused', async () => {
    const { address } = await h.serve({ services: [CalcService], interceptors: [bearerAuth({ verify })] });
    const run = await rivet(['describe', '--addr', address, 'Calc']);
    expect(run.code).toBe(80);
    expect(run.stdout).toBe('');
    expect(stderrError(run).code).toBe('UNAUTHENTICATED');
  });
});

describe('rivet health', () => {
  it('exits 0 and reports each service SERVING', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['health', '--addr', address, '-o', 'json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ status: 'SERVING', services: { Calc: 'SERVING' }, instances: [{ service: 'Calc', address, status: 'SERVING' }] });
    expect(await rivet(['health', '--addr', address, 'Calc'])).toMatchObject({ code: 0, stdout: `SERVICE  STATUS   INSTANCE\nCalc     SERVING  ${address}\n` });
  });

  it('exits 1 and reports NOT_SERVING for a service marked down', async () => {
    const { app, address } = await h.serve({ services: [CalcService] });
    app.setHealth('Calc', 'NOT_SERVING');
    const run = await rivet(['health', '--addr', address, 'Calc', '-o', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'NOT_SERVING', services: { Calc: 'NOT_SERVING' } });
  });

  it('exits 76 (UNIMPLEMENTED) for a service no instance serves, as call does', async () => {
    const { address } = await h.serve({ services: [CalcService] });
    const run = await rivet(['health', '--addr', address, 'Nope', '-o', 'json']);
    expect(run.code).toBe(76);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'NOT_SERVING', services: { Nope: 'NOT_SERVING' } });
    expect(stderrError(run)).toEqual({ code: 'UNIMPLEMENTED', message: 'no address given serves "Nope"', details: { reason: 'UNKNOWN_METHOD', service: 'Nope' } });
  });

  it('exits non-zero while the server drains', async () => {
    const { app, address } = await h.serve({ services: [CalcService] });
    const client = h.client({ endpoints: { Calc: [address] } });
    const inFlight = client.invoke('Calc', 'slow', [1_500]);
    await waitFor(() => app.get(CalcService).calls > 0, 20_000, 'the slow call to reach the server');
    const closing = app.close({ drainTimeoutMs: 5_000 });
    const run = await rivet(['health', '--addr', address, 'Calc', '-o', 'json']);
    expect(run.code).not.toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'NOT_SERVING' });
    await expect(inFlight).resolves.toBe(1_500);
    await closing;
  });

  it('exits 78 when the server cannot be reached', async () => {
    const { app, address } = await h.serve({ services: [CalcService] });
    await app.close();
    const run = await rivet(['health', '--addr', address, 'Calc', '-o', 'json']);
    expect(run.code).toBe(78);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'NOT_SERVING', services: { Calc: 'NOT_SERVING' } });
    expect(stderrError(run).code).toBe('UNAVAILABLE');
  });
});
