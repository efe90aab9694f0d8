import { createApp, Method, RivetErrorCode, Service } from '../../../src';
import { resolveHttpOptions } from '../../../src/http';
import { configError } from '../../helpers/config-error';

@Service('Opts')
class OptsService {
  @Method()
  noop(): void {}
}

const resolve = (input: unknown) => resolveHttpOptions(input, 'createApp options.http');

describe('http options', () => {
  it('fills in safe defaults', () => {
    expect(resolve({ port: 0 })).toEqual({
      port: 0,
      host: '127.0.0.1',
      gateway: { services: undefined, maxBodyBytes: 1_048_576, bodyTimeoutMs: 10_000 },
      health: true,
      metrics: undefined,
      dashboard: true,
      cors: false,
    });
  });

  it.each([-1, 65536, 1.5, '8080', NaN, null])('rejects the port %p, naming the option and the fix', (port) => {
    const err = configError(() => resolve({ port }));
    expect(err.code).toBe(RivetErrorCode.RIVET_ERR_INVALID_OPTION);
    expect(err.message).toMatch(/createApp options\.http\.port must be an integer from 0 to 65535/);
    expect(err.message).toMatch(/http: \{ port: 8080 \}/);
  });

  it('requires a port', () => {
    expect(configError(() => resolve({})).message).toMatch(/createApp options\.http\.port is required/);
  });

  it('rejects unknown keys with a suggestion', () => {
    const err = configError(() => resolve({ port: 0, dashbord: true }));
    expect(err.code).toBe(RivetErrorCode.RIVET_ERR_UNKNOWN_OPTION);
    expect(err.message).toMatch(/unknown key 'dashbord'; did you mean 'dashboard'\?/);
    expect(configError(() => resolve({ port: 0, gateway: { maxBody: 1 } })).message).toMatch(/createApp options\.http\.gateway: unknown key 'maxBody'; did you mean 'maxBodyBytes'/);
  });

  it.each([
    [{ port: 0, gateway: { maxBodyBytes: 0 } }, /gateway\.maxBodyBytes/],
    [{ port: 0, gateway: { bodyTimeoutMs: -5 } }, /gateway\.bodyTimeoutMs/],
    [{ port: 0, gateway: { services: 'Orders' } }, /gateway\.services must be an array/],
    [{ port: 0, health: 'yes' }, /http\.health/],
    [{ port: 0, host: '' }, /http\.host/],
    [{ port: 0, cors: { origins: [] } }, /cors\.origins must be a non-empty array/],
    ['8080', /must be an object such as \{ port: 8080 \}/],
  ])('rejects %p', (input, message) => {
    expect(configError(() => resolve(input)).message).toMatch(message);
  });

  it('is checked when the app is created, not when it listens', async () => {
    await expect(createApp({ services: [OptsService], logger: false, http: { port: 99999 } })).rejects.toThrow(/http\.port/);
    await expect(createApp({ services: [OptsService], logger: false, http: { port: 0, gateway: { services: ['Nope'] } } })).rejects.toThrow(
      /this app does not serve 'Nope'; it serves Opts/,
    );
  });
});
