import { execFile } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * 'rivet-rpc/testing' and 'rivet-rpc' must be one module instance: a service decorated through
 * one is served by the other, and errors made by either are the other's RpcError. The child
 * loads both by package name from the built dist/ (`npm test` builds it first), through
 * package.json "exports", as a user's test does.
 */
describe("the 'rivet-rpc/testing' and 'rivet-rpc' entry points", () => {
  it('share one module instance: decorators, container metadata and error classes', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [path.join(ROOT, 'test/fixtures/entry-points.js')], { cwd: ROOT, timeout: 20_000 }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
      );
    });
    const result = JSON.parse(stdout.trim()) as Record<string, unknown>;
    expect(path.relative(ROOT, result.mainPath as string)).toBe(path.join('dist', 'index.js'));
    expect(path.relative(ROOT, result.testingPath as string)).toBe(path.join('dist', 'testing', 'index.js'));
    expect(result).toMatchObject({
      echo: { hello: 'world' },
      handlerErrorIsMainRpcError: true,
      faultIsMainRpcError: true,
      appIsMainApp: true,
      configErrorIsMain: true,
    });
  });
});
