import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS, DASHBOARD_WORKER_JS } from './dashboard-assets';
import type { DashboardSource } from './dashboard-snapshot';
import { EventStream } from './event-stream';
import { Gateway, GATEWAY_PREFIX } from './gateway';
import { type ProbeSource, serveProbe } from './probes';
import { sendBody, sendError } from './respond';

/** Where `/metrics` reads its text. */
export interface MetricsSource {
  /** The content type of `scrape()`'s text. */
  readonly contentType: string;
  scrape(): Promise<string>;
}

/** The handlers a router serves; a missing one answers 404 for its paths. */
export interface RouterParts {
  readonly gateway?: Gateway;
  readonly probes?: ProbeSource;
  readonly metrics?: MetricsSource;
  readonly dashboard?: DashboardSource;
  /** Allowed browser origins for the gateway; none means no CORS header is ever sent. */
  readonly corsOrigins?: readonly string[];
  readonly logger: Logger;
}

// The page loads only its own script and stylesheet and talks only to its own origin.
const PAGE_CSP = "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";
// A worker has its own policy, from its own response: it only reads the event stream.
const WORKER_CSP = "default-src 'none'; connect-src 'self'";

/** Routes requests by path: `/rpc/*`, `/livez`, `/readyz`, `/metrics`, `/rivet/*`. */
export class Router {
  /** The dashboard's event stream, when the dashboard is on. */
  readonly events: EventStream | undefined;

  constructor(private readonly parts: RouterParts) {
    const dashboard = parts.dashboard;
    this.events = dashboard === undefined ? undefined : new EventStream(() => JSON.stringify(dashboard.snapshot()));
  }

  /** Answers one request. Never rejects: a failure becomes a 500 and a log line. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((err: unknown) => {
      this.parts.logger.warn({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'internal error');
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const { gateway, probes, metrics } = this.parts;
    if (path.startsWith(GATEWAY_PREFIX) && gateway !== undefined) {
      if (this.cors(req, res)) return;
      await gateway.handle(req, res, path);
      return;
    }
    if ((path === '/livez' || path === '/readyz') && probes !== undefined) {
      serveProbe(req, res, path === '/livez' ? 'livez' : 'readyz', query, probes);
      return;
    }
    if (path === '/metrics' && metrics !== undefined) {
      if (!this.readOnly(req, res)) return;
      sendBody(res, 200, metrics.contentType, await metrics.scrape(), undefined, req.method === 'HEAD');
      return;
    }
    if (this.events !== undefined && path.startsWith('/rivet/')) {
      if (!this.readOnly(req, res)) return;
      const head = req.method === 'HEAD';
      // The page names its script, stylesheet and stream relatively, so that it works behind a
      // path prefix; opened as `/rivet/dashboard/`, those resolve one level down.
      if (path.startsWith('/rivet/dashboard/') && path.length > '/rivet/dashboard/'.length) path = `/rivet/${path.slice('/rivet/dashboard/'.length)}`;
      if (path === '/rivet/dashboard' || path === '/rivet/dashboard/') {
        sendBody(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, { 'content-security-policy': PAGE_CSP, 'x-frame-options': 'DENY' }, head);
        return;
      }
      if (path === '/rivet/dashboard.js') return sendBody(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_JS, undefined, head);
      if (path === '/rivet/dashboard.css') return sendBody(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS, undefined, head);
      if (path === '/rivet/dashboard-worker.js') {
        return sendBody(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_WORKER_JS, { 'content-security-policy': WORKER_CSP }, head);
      }
      if (path === '/rivet/events') {
        // HEAD says the stream is there without subscribing a connection that will never read it.
        if (head) return sendBody(res, 200, 'text/event-stream', '', undefined, true);
        return this.events.attach(req, res);
      }
    }
    sendError(res, 404, 'NOT_FOUND', `nothing is served at ${path}`);
  }

  /** True (and answered) when the method is neither GET nor HEAD. */
  private readOnly(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method === 'GET' || req.method === 'HEAD') return true;
    sendBody(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    return false;
  }

  /**
   * Adds CORS headers for an allowed origin, and answers a preflight. True when the request was
   * answered. With no origins configured it does nothing: no CORS header is ever sent, so
   * browsers on other origins cannot read the answers.
   */
  private cors(req: IncomingMessage, res: ServerResponse): boolean {
    const origins = this.parts.corsOrigins;
    const origin = req.headers.origin;
    if (origins === undefined || origin === undefined) return false;
    const allowed = origins.includes('*') || origins.includes(origin);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
      res.setHeader('vary', 'Origin');
    }
    if (req.method !== 'OPTIONS') return false;
    if (!allowed) {
      sendBody(res, 403, 'text/plain; charset=utf-8', 'origin not allowed\n');
      return true;
    }
    res.writeHead(204, {
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': allowedRequestHeaders(req.headers['access-control-request-headers']),
      'access-control-max-age': '600',
    });
    res.end();
    return true;
  }
}

const CORS_HEADERS: readonly string[] = ['content-type', 'authorization', 'rivet-timeout-ms', 'traceparent', 'tracestate', 'baggage'];

/** The headers a preflight asked for that the gateway reads (the fixed ones and any `rivet-meta-*`). */
function allowedRequestHeaders(requested: string | undefined): string {
  const asked = (requested ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h.length > 0);
  return [...new Set([...CORS_HEADERS, ...asked.filter((h) => h.startsWith('rivet-meta-'))])].join(', ');
}
