import type { CodecName } from './codec';
import { CODEC_NAMES } from './codec';

/**
 * The newest protocol version this build speaks. Version 2 puts a request's admission facts
 * (deadline, service, method) ahead of its arguments and adds load reports to replies
 * (request-head.ts, load-report.ts); version 1 is still spoken to peers that offer only it.
 */
export const PROTOCOL_VERSION = 2;

/** The versions this build can speak, newest (preferred) first. A server refuses a HELLO that offers none of them. */
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION, 1];

/** What a server says about one method, so a client calling by name behaves like a typed proxy. */
export interface MethodDescriptor {
  idempotent: boolean;
  timeoutMs?: number;
}

/** What a server says about one service. */
export interface ServiceDescriptor {
  version?: string;
  methods: Record<string, MethodDescriptor>;
}

/** Client → server, always JSON so that any peer can read it before a codec is agreed. */
export interface Hello {
  /** Marks the frame as Rivet's; a HELLO without it is garbage. */
  rivet: true;
  /** Protocol versions the client speaks, preferred first. */
  versions: number[];
  /** Codecs the client accepts, preferred first. */
  codecs: CodecName[];
  /** The largest frame payload the client accepts, in bytes. */
  maxFrameBytes: number;
}

/** Server → client: the agreement, or why there is none. */
export type HelloAck =
  | {
      version: number;
      codec: CodecName;
      /** The largest frame payload the server accepts, in bytes. */
      maxFrameBytes: number;
      services: Record<string, ServiceDescriptor>;
    }
  | { error: string };

/** Encodes a handshake message (JSON, whatever codec follows). */
export function encodeHandshake(msg: Hello | HelloAck): Buffer {
  return Buffer.from(JSON.stringify(msg));
}

/**
 * Parses and checks a HELLO. Returns the message, or a string saying what is wrong with it
 * (the server logs it and closes the connection).
 */
export function parseHello(payload: Buffer): Hello | string {
  let msg: unknown;
  try {
    msg = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'handshake is not JSON';
  }
  if (typeof msg !== 'object' || msg === null || (msg as { rivet?: unknown }).rivet !== true) return 'handshake is not a Rivet HELLO';
  const m = msg as Record<string, unknown>;
  if (!Array.isArray(m.versions) || !m.versions.every((v) => Number.isInteger(v))) return 'HELLO.versions must be an array of integers';
  if (!Array.isArray(m.codecs) || !m.codecs.every((c) => typeof c === 'string')) return 'HELLO.codecs must be an array of strings';
  if (!Number.isInteger(m.maxFrameBytes) || (m.maxFrameBytes as number) <= 0) return 'HELLO.maxFrameBytes must be a positive integer';
  return { rivet: true, versions: m.versions as number[], codecs: m.codecs as CodecName[], maxFrameBytes: m.maxFrameBytes as number };
}

/** Parses a HELLO_ACK; a malformed one reads as a refusal. */
export function parseHelloAck(payload: Buffer): HelloAck {
  let msg: unknown;
  try {
    msg = JSON.parse(payload.toString('utf8'));
  } catch {
    return { error: 'handshake reply is not JSON' };
  }
  if (typeof msg !== 'object' || msg === null) return { error: 'handshake reply is not an object' };
  const m = msg as Record<string, unknown>;
  if (typeof m.error === 'string') return { error: m.error };
  if (!SUPPORTED_VERSIONS.includes(m.version as number)) {
    return { error: `server chose protocol version ${String(m.version)}, this client speaks ${SUPPORTED_VERSIONS.join(',')}` };
  }
  if (!CODEC_NAMES.includes(m.codec as CodecName)) return { error: `server chose unknown codec ${String(m.codec)}` };
  if (!Number.isInteger(m.maxFrameBytes) || (m.maxFrameBytes as number) <= 0) return { error: 'handshake reply has no valid maxFrameBytes' };
  const services = typeof m.services === 'object' && m.services !== null ? (m.services as Record<string, ServiceDescriptor>) : {};
  return { version: m.version as number, codec: m.codec as CodecName, maxFrameBytes: m.maxFrameBytes as number, services };
}

/**
 * The server's side of the agreement: the newest common version and the client's most preferred
 * codec that the server allows. Returns a refusal message when there is none.
 */
export function negotiate(hello: Hello, allowedCodecs: readonly CodecName[]): { version: number; codec: CodecName } | string {
  const version = hello.versions.find((v) => SUPPORTED_VERSIONS.includes(v));
  if (version === undefined) {
    return `unsupported protocol version ${hello.versions.join(',')}; this server speaks ${SUPPORTED_VERSIONS.join(',')}`;
  }
  const codec = hello.codecs.find((c) => allowedCodecs.includes(c));
  if (codec === undefined) return `no common codec: client offers ${hello.codecs.join(',')}, server allows ${allowedCodecs.join(',')}`;
  return { version, codec };
}
