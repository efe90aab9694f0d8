import type { ServerResponse } from 'node:http';

// Sent with every answer: nothing Rivet serves is meant to be cached or sniffed as another type.
const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

/** Extra response headers, lower-case names. */
export type HeaderMap = Record<string, string>;

/** Ends `res` with a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: string, headers?: HeaderMap): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Ends `res` with a gateway error body `{ code, message, details }`. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, details?: unknown, headers?: HeaderMap): void {
  sendJson(res, status, JSON.stringify({ code, message, details: details ?? {} }), headers);
}

/** Ends `res` with `body` of `contentType` (HEAD requests get the headers only). */
export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers?: HeaderMap, head = false): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(head ? undefined : body);
}
