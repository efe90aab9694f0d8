import type { Duplex } from 'node:stream';
import { FrameDecoder, type FrameDecodeError, MAX_HANDSHAKE_FRAME_BYTES } from '../protocol';
import { Liveness, type LivenessOptions } from './liveness';
import { Outbox } from './outbox';
import type { CertificateIdentity, Connection, ConnectionEvents } from './transport';

let nextConnectionId = 1;

/**
 * A Connection over any byte stream (a TCP socket, a TLS socket). It owns the decoder and the
 * outbox; the transport that made the stream only sets socket options and addresses.
 */
export class StreamConnection implements Connection {
  readonly id = nextConnectionId++;
  private events: ConnectionEvents | null = null;
  private readonly decoder: FrameDecoder;
  private readonly outbox: Outbox;
  private isClosed = false;
  private closeReason: string | undefined;
  private ended = false;
  private reading = false;
  private liveness: Liveness | null = null;

  constructor(
    private readonly stream: Duplex,
    readonly remoteAddress: string,
    readonly peerIdentity: CertificateIdentity | undefined = undefined,
  ) {
    // Until the handshake agrees a limit, accept only what a handshake can need.
    this.decoder = new FrameDecoder(
      (type, flags, id, payload, arrivedAtMs) => this.events?.onFrame(type, flags, id, payload, arrivedAtMs),
      (err) => this.onDecodeError(err),
      MAX_HANDSHAKE_FRAME_BYTES,
    );
    // Stop reading while our writes are stuck: the peer then feels TCP backpressure too.
    this.outbox = new Outbox(stream, (blocked) => (blocked ? stream.pause() : stream.resume()));
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.closeReason ??= err.code ? `${err.code}: ${err.message}` : err.message;
    });
    stream.on('close', () => this.finish());
    // Ending our side when the peer ends keeps half-open sockets from lingering.
    stream.on('end', () => {
      // A stream that ends inside a frame was cut off (or is garbage): not a clean close.
      if (this.decoder.hasPartialFrame) this.closeReason ??= 'peer closed the connection mid-frame';
      if (!this.ended) this.end();
    });
    stream.pause();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  attach(events: ConnectionEvents): void {
    const first = this.events === null && !this.reading;
    this.events = events;
    if (first) {
      this.reading = true;
      this.stream.on('data', (chunk: Buffer) => {
        this.liveness?.onRead();
        // One clock read per chunk: every frame in it arrived at once (a server's admission counts waits from here).
        this.decoder.push(chunk, performance.now());
      });
      this.stream.resume();
    }
  }

  watchLiveness(opts: LivenessOptions): void {
    this.liveness?.stop();
    if (!this.isClosed) this.liveness = new Liveness(this, opts);
  }

  setMaxIncomingFrameBytes(bytes: number): void {
    this.decoder.maxFrameBytes = bytes;
  }

  send(frame: Buffer | readonly Buffer[]): void {
    if (this.isClosed || this.ended) return;
    this.outbox.push(frame);
  }

  sendStreamData(frame: Buffer): void {
    if (this.isClosed || this.ended) return;
    this.outbox.pushData(frame);
  }

  sendNow(frame: Buffer): void {
    if (this.isClosed || this.ended) return;
    this.outbox.push(frame);
    this.outbox.flush();
  }

  end(): void {
    if (this.isClosed || this.ended) return;
    this.ended = true;
    this.outbox.flush();
    this.stream.end();
  }

  destroy(reason?: string): void {
    if (this.isClosed) return;
    if (reason !== undefined) this.closeReason ??= reason;
    this.outbox.clear();
    this.stream.destroy();
  }

  private onDecodeError(err: FrameDecodeError): void {
    this.destroy(`frame of ${err.length} bytes exceeds the limit of ${err.limit}`);
  }

  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.liveness?.stop();
    this.outbox.clear();
    const events = this.events;
    this.events = null;
    events?.onClose(this.closeReason);
  }
}
