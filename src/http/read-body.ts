import type { IncomingMessage } from 'node:http';

/** What reading a request body came to. */
export type BodyResult =
  | { readonly kind: 'ok'; readonly body: Buffer }
  /** Over the limit: answer 413 and read no further. */
  | { readonly kind: 'tooLarge' }
  /** Not all there before the timeout: answer 408. */
  | { readonly kind: 'timeout' }
  /** The client went away; nobody is left to answer. */
  | { readonly kind: 'gone' };

/**
 * Reads a request body of at most `maxBytes`, within `timeoutMs` for the whole of it. A declared
 * `Content-Length` over the limit is refused before a byte is read; a body that grows past it is
 * refused as soon as it does, and the stream is paused so nothing more is buffered. The chunks are
 * joined once, at the end. Always resolves.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.resolve({ kind: 'tooLarge' });
  return new Promise<BodyResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
      if (result.kind !== 'ok') req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) finish({ kind: 'tooLarge' });
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish({ kind: 'ok', body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
    const onGone = (): void => finish({ kind: 'gone' });
    // 'close' after 'end' is normal; before it, the client went away mid-body.
    const onClose = (): void => {
      if (!req.complete) finish({ kind: 'gone' });
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onClose);
  });
}
