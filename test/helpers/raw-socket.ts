import * as net from 'node:net';
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  encodeHandshake,
  FrameDecoder,
  FrameType,
  parseHelloAck,
  type CodecName,
  type Hello,
  type HelloAck,
} from '../../src/protocol';

/** One frame as the raw socket received it (payload copied out of the socket chunk). */
export interface RawFrame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

const DEFAULT_WAIT_MS = 2_000;

/**
 * A bare TCP client for sending hand-made bytes to a server: a HELLO with any fields, garbage,
 * truncated frames, oversize length headers. It decodes what comes back with the real
 * FrameDecoder, and every wait it offers ends (resolves or rejects) within a bound.
 */
export class RawSocket {
  private readonly frames: RawFrame[] = [];
  private readonly waiters: Array<() => void> = [];
  private isClosed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    // The decoder accepts anything a server may send; frame limits are what the server enforces.
    const decoder = new FrameDecoder(
      (type, flags, id, payload) => {
        this.frames.push({ type, flags, id, payload: Buffer.from(payload) });
        this.wake();
      },
      () => socket.destroy(),
      DEFAULT_MAX_FRAME_BYTES,
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    // A reset from the server is one way of closing; 'close' follows it.
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      });
    });
  }

  /**
   * Connects to 127.0.0.1:`port`. With `allowHalfOpen` the socket keeps its side open after the
   * server ends its side, like a peer that ignores FIN.
   */
  static connect(port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: opts.allowHalfOpen ?? false });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawSocket(socket));
      });
    });
  }

  /** True once the socket has fully closed (both directions). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Writes bytes as they are. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Encodes and writes one frame. */
  sendFrame(type: number, id: number, payload: Buffer = Buffer.alloc(0), flags = 0): void {
    const frame = encodeFrame(type, flags, id, payload);
    if (Buffer.isBuffer(frame)) this.socket.write(frame);
    else for (const part of frame) this.socket.write(part);
  }

  /**
   * Sends a HELLO; `overrides` replace fields of a valid one. It offers protocol version 1 unless
   * told otherwise: the hand-made requests of these tests are v1 arrays (encodeRequest).
   */
  sendHello(overrides: Partial<Hello> = {}): void {
    const hello: Hello = { rivet: true, versions: [1], codecs: ['msgpack'], maxFrameBytes: DEFAULT_MAX_FRAME_BYTES, ...overrides };
    this.sendFrame(FrameType.HELLO, 0, encodeHandshake(hello));
  }

  /** Sends a valid HELLO offering `codec` and waits for the server's agreement; rejects on a refusal. */
  async handshake(codec: CodecName = 'msgpack', versions: number[] = [1]): Promise<Exclude<HelloAck, { error: string }>> {
    this.sendHello({ codecs: [codec], versions });
    const frame = await this.nextFrame();
    if (frame.type !== FrameType.HELLO_ACK) throw new Error(`expected HELLO_ACK, got frame type ${frame.type}`);
    const ack = parseHelloAck(frame.payload);
    if ('error' in ack) throw new Error(`handshake refused: ${ack.error}`);
    return ack;
  }

  /** Sends a valid msgpack HELLO with `overrides` (features, say) and waits for the agreement; rejects on a refusal. */
  async handshakeWith(overrides: Partial<Hello>): Promise<Exclude<HelloAck, { error: string }>> {
    this.sendHello(overrides);
    const frame = await this.nextFrame();
    if (frame.type !== FrameType.HELLO_ACK) throw new Error(`expected HELLO_ACK, got frame type ${frame.type}`);
    const ack = parseHelloAck(frame.payload);
    if ('error' in ack) throw new Error(`handshake refused: ${ack.error}`);
    return ack;
  }

  /** The next frame not yet taken; rejects when the socket closes first or after `timeoutMs`. */
  async nextFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<RawFrame> {
    await this.until(() => this.frames.length > 0 || this.isClosed, timeoutMs, 'a frame');
    const frame = this.frames.shift();
    if (frame === undefined) throw new Error('the socket closed before a frame arrived');
    return frame;
  }

  /** Resolves once the server has closed the connection; rejects after `timeoutMs`. */
  async whenClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.until(() => this.isClosed, timeoutMs, 'the socket to close');
  }

  /** Half-closes our side (FIN): the server sees the end of the stream. */
  end(): void {
    this.socket.end();
  }

  /** Closes at once and waits for the close. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.closedPromise;
  }

  private until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(check);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`raw socket: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }
}
