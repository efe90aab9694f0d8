import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendBody } from './respond';

/** One readiness check, as `/readyz?verbose` lists it. */
export interface ProbeCheck {
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed; shown after `failed:`. */
  readonly reason?: string;
}

/** Where the probes read the app's state. */
export interface ProbeSource {
  /** The readiness checks, in order: listening, registered, health. */
  readiness(): readonly ProbeCheck[];
}

const TEXT = 'text/plain; charset=utf-8';

/**
 * `/livez` and `/readyz` as Kubernetes serves them. Liveness checks nothing but that the process
 * answers: a dependency's outage must not turn into a restart storm. Readiness is 200 only when
 * every check passes, else 503; `?verbose` lists each as `[+]name ok` or `[-]name failed: reason`.
 * Consul's HTTP checks read 2xx as passing and anything else but 429 as critical, so the same
 * endpoints serve it as they are.
 */
export function serveProbe(req: IncomingMessage, res: ServerResponse, which: 'livez' | 'readyz', query: string, source: ProbeSource): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendBody(res, 405, TEXT, 'method not allowed\n', { allow: 'GET, HEAD' });
    return;
  }
  const verbose = new URLSearchParams(query).has('verbose');
  const checks: readonly ProbeCheck[] = which === 'livez' ? [{ name: 'ping', ok: true }] : source.readiness();
  const ok = checks.every((c) => c.ok);
  let body: string;
  if (ok && !verbose) {
    body = 'ok\n';
  } else {
    // Like Kubernetes: a failed probe lists its checks even without ?verbose, so the reason is in the event.
    const lines = checks.filter((c) => verbose || !c.ok).map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: ${c.reason ?? 'not ready'}`));
    lines.push(`${which} check ${ok ? 'passed' : 'failed'}`);
    body = `${lines.join('\n')}\n`;
  }
  sendBody(res, ok ? 200 : 503, TEXT, body, undefined, req.method === 'HEAD');
}
