import type { CodecName } from './codec';
import { CODEC_NAMES } from './codec';
import { STREAM_KINDS, STREAM_RECORDS_FEATURE, STREAMS_FEATURE, type StreamKind } from './stream-frames';

/**
 * The newest protocol version this build speaks. Version 2 puts a request's admission facts
 * (deadline, service, method) ahead of its arguments and adds load reports to replies
 * (request-head.ts, load-report.ts); version 1 is still spoken to peers that offer only it.
 */
export const PROTOCOL_VERSION = 2;

/** The versions this build can speak, newest (preferred) first. A server refuses a HELLO that offers none of them. */
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION, 1];

/**
 * The optional features this build speaks, listed in HELLO and HELLO_ACK. A feature is used on a
 * connection only when both sides list it, whatever the version: a peer that lists none (an older
 * build) simply never sees its frames.
 */
export const SUPPORTED_FEATURES: readonly string[] = [STREAMS_FEATURE, STREAM_RECORDS_FEATURE];

/** What a server says about one method, so a client calling by name behaves like a typed proxy. */
export interface MethodDescriptor {
  idempotent: boolean;
  timeoutMs?: number;
  /** Set on a streaming method: which side streams. Absent for a unary method. */
  stream?: StreamKind;
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
  /** Optional features the client speaks (`'streams'`); absent means none. */
  features?: string[];
}

/** Server → client: the agreement, or why there is none. */
export type HelloAck =
  | {
      version: number;
      codec: CodecName;
      /** The largest frame payload the server accepts, in bytes. */
      maxFrameBytes: number;
      services: Record<string, ServiceDescriptor>;
      /** The features both sides speak: those of the HELLO that the server speaks too. Absent means none. */
      features?: string[];
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
  const hello: Hello = { rivet: true, versions: m.versions as number[], codecs: m.codecs as CodecName[], maxFrameBytes: m.maxFrameBytes as number };
  // Features are optional and advisory: anything but an array of strings reads as none.
  const features = readFeatures(m.features);
  if (features.length > 0) hello.features = features;
  return hello;
}

function readFeatures(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((f): f is string => typeof f === 'string') : [];
}

/** The features both sides speak, given the peer's list: what the server puts in its HELLO_ACK. */
export function agreeFeatures(offered: readonly string[] | undefined): string[] {
  return offered === undefined ? [] : SUPPORTED_FEATURES.filter((f) => offered.includes(f));
}

/** True when a handshake message lists `feature`. */
export function hasFeature(msg: { features?: readonly string[] }, feature: string): boolean {
  return msg.features !== undefined && msg.features.includes(feature);
}

/** The stream kind a method descriptor from a peer declares, or undefined (unary, or a value this build does not know). */
export function descriptorStreamKind(d: MethodDescriptor | undefined): StreamKind | undefined {
  const kind = d?.stream;
  return kind !== undefined && STREAM_KINDS.includes(kind) ? kind : undefined;
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
  const features = readFeatures(m.features);
  const ack: HelloAck = { version: m.version as number, codec: m.codec as CodecName, maxFrameBytes: m.maxFrameBytes as number, services };
  if (features.length > 0) ack.features = features;
  return ack;
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
