/** What a JSON endpoint answered: status, parsed body (undefined when empty) and headers. */
export interface JsonReply {
  status: number;
  /** Whatever JSON the server sent: a test reads into it freely. */
  body: any;
  headers: Headers;
}

/** POSTs `body` (JSON-encoded unless it is a string, sent as it is) to `base + path` with real fetch. */
export async function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonReply> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined, headers: res.headers };
}
