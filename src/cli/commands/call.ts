import { ErrorReason, reasonOf } from '../../errors';
import type { StreamKind } from '../../protocol';
import type { Output } from '../output';
import { type CallSettings, describeOne } from '../reflection-client';
import type { Target } from '../target';

function callOptions(s: CallSettings): { metadata: Record<string, string>; timeoutMs?: number } {
  return s.timeoutMs === undefined ? { metadata: s.metadata } : { metadata: s.metadata, timeoutMs: s.timeoutMs };
}

// The input of a client or bidi stream: the first argument, a JSON array of its messages.
async function* messagesOf(input: unknown): AsyncGenerator<unknown> {
  for (const m of Array.isArray(input) ? input : [input]) yield m;
}

/**
 * How `service.method` streams, from rivet.Reflection; undefined when reflection cannot say (then
 * the caller's first error stands).
 */
async function streamKindOf(target: Target, service: string, method: string, s: CallSettings): Promise<StreamKind | undefined> {
  try {
    const svc = await describeOne(target, service, await target.addressesOf(service), s);
    return svc.methods.find((m) => m.name === method)?.stream;
  } catch {
    return undefined;
  }
}

/**
 * Calls `service.method(...args)` and prints the result as JSON on stdout (indented, or on one
 * line with `-o json`). A service that no instance in etcd, or no given address, serves is
 * UNIMPLEMENTED, as a server answers for a service it does not serve.
 *
 * A streaming method works too, as in grpcurl: the server's refusal of a unary call says it
 * streams, and rivet.Reflection says how. A server or bidi stream prints each message as its own
 * JSON document as it arrives (one per line with `-o json`); a client or bidi stream takes its
 * input messages as a JSON array in the first argument (`'[[1,2,3]]'`).
 */
export async function runCall(target: Target, service: string, method: string, args: unknown[], s: CallSettings, format: string, out: Output): Promise<number> {
  if ((await target.addressesOf(service)).length === 0) {
    throw target.unknownService(service);
  }
  const indent = format === 'json' ? 0 : 2;
  const client = target.client();
  let result: unknown;
  try {
    result = await client.invoke(service, method, args, callOptions(s));
  } catch (err) {
    // A unary call of a streaming method is refused before it runs; anything else is the answer.
    if (reasonOf(err) !== ErrorReason.STREAMS_UNSUPPORTED) throw err;
    const kind = await streamKindOf(target, service, method, s);
    if (kind === undefined) throw err;
    if (kind === 'client') {
      result = await client.invoke(service, method, [messagesOf(args[0]), ...args.slice(1)], callOptions(s));
    } else {
      const streamArgs = kind === 'bidi' ? [messagesOf(args[0]), ...args.slice(1)] : args;
      for await (const message of client.stream(service, method, streamArgs, callOptions(s))) out.json(message, indent);
      return 0;
    }
  }
  out.json(result, indent);
  return 0;
}
