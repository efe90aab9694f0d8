import * as fs from 'node:fs';
import * as path from 'node:path';
import { HTTP_STATUS_BY_CODE } from '../../src';

const root = path.join(__dirname, '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');

/** The fenced code blocks of a markdown text in `lang`. */
function blocks(md: string, lang: string): string[] {
  return [...md.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]);
}

// docs/http.md is what a caller in another language reads: it must hold what the gateway does.
describe('docs/http.md', () => {
  const doc = read('docs/http.md');

  it("has the status table, exactly the gateway's", () => {
    const documented: Record<string, number> = {};
    for (const m of doc.matchAll(/^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \| (\d{3})\b/gm)) {
      for (const code of m[1].matchAll(/`([A-Z_]+)`/g)) documented[code[1]] = Number(m[2]);
    }
    expect(documented).toEqual({ ...HTTP_STATUS_BY_CODE });
  });

  it('covers the gateway, its headers and limits, the probes for Kubernetes and Consul, metrics and the dashboard', () => {
    for (const text of [
      'POST /rpc/{Service}/{method}',
      'Rivet-Timeout-Ms',
      'Authorization',
      'Rivet-Meta-<key>',
      '`traceparent`, `tracestate`, `baggage`',
      'maxBodyBytes',
      '413',
      '415',
      '405, `Allow: POST`',
      '404 `UNIMPLEMENTED`',
      'livenessProbe',
      'readinessProbe',
      'Consul',
      '[+]listening ok',
      'text/plain; version=0.0.4',
      '/rivet/dashboard',
      '/rivet/events',
      'data-testid="method-row"',
      'data-testid="endpoint-row"',
      'data-testid="breaker"',
    ]) {
      expect(doc).toContain(text);
    }
  });

  it('has a Python requests snippet and a browser fetch snippet that send a JSON array to the gateway', () => {
    const python = blocks(doc, 'python').join('\n');
    expect(python).toContain('import requests');
    expect(python).toMatch(/requests\.post\(\s*"http:\/\/localhost:8080\/rpc\/Orders\/place",\s*json=\[/);
    const js = blocks(doc, 'js').join('\n');
    expect(js).toMatch(/fetch\('http:\/\/localhost:8080\/rpc\/Orders\/place'/);
    expect(js).toContain("method: 'POST'");
    expect(js).toContain("'content-type': 'application/json'");
    expect(js).toContain("body: JSON.stringify([");
  });
});

describe('README', () => {
  it('shows the curl line for the gateway and links docs/http.md', () => {
    const readme = read('README.md');
    expect(readme).toMatch(/^curl -s -X POST localhost:8080\/rpc\/Orders\/place -H 'content-type: application\/json' -d '\[.*\]'/m);
    expect(readme).toContain('npm start -- --serve --http-port 8080');
    expect(readme).toContain('](docs/http.md)');
  });
});
